import PGRaftBridge

/// Drives one bridge core by hand: the test sets the cluster view and the server, feeds events
/// and reads what the core asked for.
struct BridgeHarness {
    var core: BridgeCore
    var now: Int64 = 1_000
    var view: ClusterView
    var server: ServerObservation
    /// Everything the core asked for since the last ``take()``.
    var asked: [BridgeAction] = []

    init(node: UInt64 = 1, voters: [UInt64] = [1, 2, 3], settings: ((inout BridgeSettings) -> Void)? = nil) {
        var s = BridgeSettings(node: node, startTimeoutMs: 5_000, electionTimeoutMs: 1_000)
        settings?(&s)
        core = BridgeCore(settings: s)
        view = ClusterView(term: 1, leader: 0, voters: voters, members: voters, topology: nil, topologyRevision: 0, reports: [:])
        server = ServerObservation(dataDirectory: .empty)
    }

    /// Shows the core the current view and server; returns what it asked for since the last take.
    @discardableResult
    mutating func show(after ms: Int64 = 10) -> [BridgeAction] {
        now += ms
        feed(.cluster(view))
        feed(.server(server))
        return take()
    }

    /// Tells the core its operation ended (and shows the server as the test set it); returns what
    /// it asked for since the last take.
    @discardableResult
    mutating func performed(_ op: BridgeOperation, failure: String? = nil) -> [BridgeAction] {
        now += 10
        feed(.performed(op, failure: failure))
        feed(.server(server))
        return take()
    }

    /// Tells the core its write ended (the view shows what the test set); returns what it asked
    /// for since the last take.
    @discardableResult
    mutating func written(_ w: BridgeWrite, failure: String? = nil) -> [BridgeAction] {
        now += 1
        feed(.cluster(view))
        feed(.written(w, failure: failure))
        return take()
    }

    /// Lets the core point its running standby at `leader` (which it asks for first) and tells it
    /// that is done.
    mutating func pointed(at leader: UInt64) {
        let asked = show()
        precondition(operations(asked) == [.follow(upstream: leader)], "\(asked)")
        performed(.follow(upstream: leader))
    }

    mutating func feed(_ event: BridgeEvent) {
        asked += core.handle(event, now: now)
    }

    /// What the core asked for since the last take.
    mutating func take() -> [BridgeAction] {
        defer { asked = [] }
        return asked
    }

    /// A server on `timeline` at `position`, with branch `branch`.
    static func running(
        standby: Bool, timeline: UInt32 = 1, position: UInt64 = 100, from: UInt64? = nil, names: String = "", branch: UInt64 = 1,
        system: UInt64 = 42
    ) -> ServerObservation {
        ServerObservation(
            dataDirectory: .initialized(.init(systemIdentifier: system, timeline: timeline, cleanShutdown: true, isStandby: standby)),
            branch: branch,
            running: .init(
                postmasterPID: 4242, inRecovery: standby, timeline: timeline, flushed: WALPosition(position), replayed: WALPosition(position),
                streamingFrom: from, synchronousStandbyNames: names))
    }

    /// A stopped server's data directory.
    static func stopped(standby: Bool, system: UInt64 = 42, branch: UInt64 = 1) -> ServerObservation {
        ServerObservation(
            dataDirectory: .initialized(.init(systemIdentifier: system, timeline: 1, cleanShutdown: true, isStandby: standby)), branch: branch)
    }

    static func report(_ node: UInt64, term: UInt64, branch: UInt64 = 1, position: UInt64, role: MemberReport.ServerRole = .standby) -> MemberReport {
        MemberReport(node: node, term: term, role: role, timeline: 1, branch: branch, position: WALPosition(position))
    }
}

func operations(_ actions: [BridgeAction]) -> [BridgeOperation] {
    actions.compactMap { if case .perform(let op) = $0 { return op } else { return nil } }
}

func writes(_ actions: [BridgeAction]) -> [BridgeWrite] {
    actions.compactMap { if case .write(let w) = $0 { return w } else { return nil } }
}

func transfers(_ actions: [BridgeAction]) -> [UInt64] {
    actions.compactMap { if case .transferLeadership(let n) = $0 { return n } else { return nil } }
}

func published(_ actions: [BridgeAction]) -> [BridgeStatus] {
    actions.compactMap { if case .publish(let s) = $0 { return s } else { return nil } }
}

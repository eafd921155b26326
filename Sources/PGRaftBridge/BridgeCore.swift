/// The failover logic of one node, with no I/O and no clock: from the node's view of the cluster
/// (``ClusterView``) and what it observes of its PostgreSQL server (``ServerObservation``) it decides
/// what to do to the server and what to record through the replicated log.
///
/// `plugins/bridge` performs its actions on a real server; `pgraft-sim --postgres` performs them on
/// simulated ones, so the simulator proves the rules production runs. Feed it every event with
/// ``handle(_:now:)`` and perform what it returns; after an operation, show it the server again
/// before anything else (it decides nothing from an observation older than its last operation).
///
/// The rules it keeps (docs/FAILOVER.md tells them at length):
/// - A server acknowledges commits only while its node leads and the committed topology names it
///   for the current term; any other primary is fenced at once (its synchronous standby is one that
///   never exists) and stopped once the topology names another primary.
/// - A new leader whose server is not the recorded primary first stops streaming from anyone,
///   records its WAL position for its term, and waits for the reports of a majority of the voters,
///   each made after its server stopped streaming from the old primary (so the old primary can no
///   longer gather a quorum). If one is ahead, leadership goes to it; otherwise the leader records
///   "primary = me, term T" and, once that is committed, sets the synchronous standbys and promotes.
/// - A leader whose server is the recorded primary renews the record for its term and resumes:
///   a Raft leadership change the primary's failure did not cause is no failover.
/// - A former primary is rewound (or cloned anew) before it follows the new one; a data directory
///   of another cluster is refused.
public struct BridgeCore: Sendable {
    /// The configuration.
    public let settings: BridgeSettings

    var view: ClusterView?
    var server: ServerObservation?
    /// The operation under way and when it began.
    var operation: BridgeOperation?
    /// The write under way, and when it was asked.
    var writing: BridgeWrite?
    var writingSinceMs: Int64 = 0
    /// Set by an ended operation: decide nothing until the server is observed again.
    var awaitingObservation = false
    /// The upstream the running standby was last pointed at by this core (`.some(nil)`: at nobody);
    /// nil when unknown (a new core adopting a running server, or a server restarted since).
    var pointedAt: UInt64??
    /// The term of this node's last committed report.
    var reportedTerm: UInt64 = 0
    /// Nothing is retried before this time (after a failure).
    var retryAtMs: Int64 = .min
    /// When leadership was last asked to move.
    var lastTransferMs: Int64 = .min / 2
    /// Since when the recorded primary's server (this node's) has been down.
    var primaryDownSinceMs: Int64?
    /// Since when this node's server (not the recorded primary) has been down while its node leads.
    var leaderServerDownSinceMs: Int64?
    /// The term in which this leader first found its server still streaming from the recorded
    /// primary, and when (see ``waitingForHiccup(_:primary:)``).
    var hiccup: (term: UInt64, sinceMs: Int64)?
    /// When this node's server was last promoted.
    var promotedAtMs: Int64 = .min / 2
    /// The term in which this leader last handed leadership back after a hiccup, and when.
    var handedBack: (term: UInt64, atMs: Int64)?
    /// Since when this leader has seen another node's bootstrap claim not completed.
    var claimSeenSinceMs: Int64?
    /// Since when this standby has not streamed from the primary it follows.
    var notStreamingSinceMs: Int64?
    /// The data directory must be rewound before the server starts (its history left the primary's).
    var mustRewind = false
    /// The members the primary keeps slots for, as last set.
    var slotsKept: [UInt64]?
    var lastStatus: BridgeStatus?
    var now: Int64 = 0
    var out: [BridgeAction] = []

    /// A core that has seen nothing yet.
    public init(settings: BridgeSettings) {
        self.settings = settings
    }

    /// Handles one event at `now` (the caller's monotonic clock, ms) and returns what to do.
    public mutating func handle(_ event: BridgeEvent, now: Int64) -> [BridgeAction] {
        self.now = now
        switch event {
        case .cluster(let v):
            view = v
        case .server(let s):
            if let running = s.running, running.postmasterPID != server?.running?.postmasterPID { pointedAt = nil }
            if s.running == nil { pointedAt = nil }
            server = s
            awaitingObservation = false
        case .performed(let op, let failure):
            performed(op, failure)
        case .written(let w, let revision, let failure):
            written(w, revision, failure)
        case .tick:
            if let w = writing, now - writingSinceMs >= Self.writeTimeoutFactor * settings.electionTimeoutMs {
                // The answer was lost with the process that would have given it: ask again.
                written(w, 0, "no answer within \(now - writingSinceMs) ms")
            }
        }
        if !awaitingObservation { decide() }
        defer { out.removeAll(keepingCapacity: true) }
        return out
    }

    /// What the core last published.
    public var status: BridgeStatus? { lastStatus }

    // MARK: - Completions

    private mutating func performed(_ op: BridgeOperation, _ failure: String?) {
        guard operation == op else { return }
        operation = nil
        awaitingObservation = true
        if let failure {
            log(.warning, "\(op.summary) failed: \(failure)")
            retryAtMs = now + settings.electionTimeoutMs
            switch op {
            case .rewind(let from):
                // pg_rewind could not do it: clone anew, keeping the old directory aside.
                mustRewind = false
                log(.info, "cloning the data directory anew from node \(from) (the old one is kept aside)")
                perform(.reclone(from: from), force: true)
            default:
                break
            }
            return
        }
        switch op {
        case .follow(let upstream): pointedAt = .some(upstream)
        case .start(let standby, let upstream): pointedAt = standby ? .some(upstream) : nil
        case .rewind, .reclone, .baseBackup: mustRewind = false
        case .keepSlots(let nodes): slotsKept = nodes
        case .promote: promotedAtMs = now
        default: break
        }
    }

    private mutating func written(_ w: BridgeWrite, _ revision: UInt64 = 0, _ failure: String?) {
        guard writing == w else { return }
        writing = nil
        if let failure {
            log(.info, "\(w.summary) not recorded: \(failure)")
            retryAtMs = max(retryAtMs, now + settings.electionTimeoutMs / 4)
            return
        }
        switch w {
        case .report(let r):
            reportedTerm = max(reportedTerm, r.term)
            view?.reports[r.node] = r
        case .topology(let t, _):
            // Committed: act on it before the view shows it (unless the view already shows a later one).
            if revision == 0 || revision > (view?.topologyRevision ?? 0) {
                view?.topology = t
                if revision > 0 { view?.topologyRevision = revision }
            }
        }
    }

    // MARK: - Output

    mutating func perform(_ op: BridgeOperation, force: Bool = false) {
        guard operation == nil, force || now >= retryAtMs else { return }
        operation = op
        out.append(.perform(op))
    }

    /// A write unanswered for this many election timeouts is taken as failed.
    public static let writeTimeoutFactor: Int64 = 4

    mutating func write(_ w: BridgeWrite) {
        guard writing == nil, now >= retryAtMs else { return }
        writing = w
        writingSinceMs = now
        out.append(.write(w))
    }

    mutating func transferLeadership(to node: UInt64, because why: String) {
        guard now - lastTransferMs >= settings.electionTimeoutMs else { return }
        lastTransferMs = now
        log(.info, "handing leadership to node \(node): \(why)")
        out.append(.transferLeadership(to: node))
    }

    mutating func log(_ level: BridgeLogLevel, _ message: String) {
        out.append(.log(level, message))
    }

    mutating func publish(_ role: BridgeStatus.Role, _ detail: String) {
        let running = server?.running
        let status = BridgeStatus(
            role: role, detail: detail, timeline: running?.timeline ?? 0, flushed: running?.flushed ?? .zero,
            replayed: running?.replayed ?? .zero, streamingFrom: running?.streamingFrom ?? 0)
        guard status != lastStatus else { return }
        lastStatus = status
        out.append(.publish(status))
    }
}

extension BridgeOperation {
    /// The operation in words, for logs.
    public var summary: String {
        switch self {
        case .initdb: return "initdb"
        case .baseBackup(let n): return "base backup from node \(n)"
        case .rewind(let n): return "pg_rewind from node \(n)"
        case .reclone(let n): return "moving the data directory aside and cloning from node \(n)"
        case .start(let standby, let upstream):
            return standby ? "start as a standby of \(upstream.map { "node \($0)" } ?? "nobody yet")" : "start as a (fenced) primary"
        case .stop: return "stop"
        case .follow(let upstream): return upstream.map { "follow node \($0)" } ?? "stop streaming"
        case .promote: return "promote"
        case .setSynchronousStandbys(let v): return "synchronous_standby_names = '\(v)'"
        case .keepSlots(let nodes): return "replication slots for \(nodes.map { "node \($0)" }.joined(separator: ", "))"
        case .markBranch(let b): return "marking the data directory as on branch \(b)"
        }
    }
}

extension BridgeWrite {
    /// The write in words, for logs.
    public var summary: String {
        switch self {
        case .report(let r): return "report for term \(r.term) (\(r.role.rawValue), timeline \(r.timeline), branch \(r.branch), \(r.position))"
        case .topology(let t, _): return "topology: primary node \(t.primary) in term \(t.term), timeline \(t.timeline), branch \(t.branch)"
        }
    }
}

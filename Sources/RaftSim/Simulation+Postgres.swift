import PGRaftBridge
import PGRaftClient
import PGRaftNode
import RaftCore

/// PostgreSQL in the simulation (`--postgres`): every node's server is a ``SimPostgres`` that its
/// bridge core drives, as `plugins/bridge` drives a real one; standbys stream over the simulated
/// links; database clients commit on whichever server takes writes; and the checks run after every
/// step:
/// - at most one server can acknowledge a commit at any instant;
/// - every acknowledged commit is on a majority of the voters' servers when it is acknowledged
///   (`quorum`), and on every server that is promoted afterwards, and on the last primary;
/// - a server takes writes only while its node leads with the topology naming it for the term, or
///   for at most one election timeout after that stops being so;
/// - a promotion begins only once the topology naming the promoted node for its term is committed.
extension Simulation {
    /// The election timeout (ms): the bound of the fencing check.
    var electionTimeoutMs: Int { raftConfig.electionTick * tickEvery }

    /// The bridge settings of node `id`.
    func bridgeSettings(_ id: NodeID) -> BridgeSettings {
        BridgeSettings(
            node: id, synchronous: .quorum, startTimeoutMs: 600, electionTimeoutMs: Int64(electionTimeoutMs), defects: options.bridgeDefects)
    }

    /// Starts node `i`'s bridge (with the node): a new core adopts whatever the server is doing.
    mutating func bootBridge(_ i: Int) {
        guard options.postgres else { return }
        nodes[i].bridge = BridgeCore(settings: bridgeSettings(nodes[i].id))
        nodes[i].bridgeOperation = nil
    }

    /// The node's host goes down: its server's processes die with it (the data stays).
    mutating func crashPostgres(_ i: Int) {
        guard options.postgres else { return }
        nodes[i].bridge = nil
        nodes[i].bridgeOperation = nil
        if nodes[i].postgres.running { stopServer(i, clean: false) }
    }

    // MARK: - Every step

    mutating func postgresStep() {
        guard options.postgres else { return }
        completeBridgeOperations()
        replicate()
        databaseClientsStep()
        if !healed && oneIn(4000) { postgresFault() }
        if now % tickEvery == 0 {
            for i in nodes.indices where nodes[i].bridge != nil && nodes[i].isRunning { feedBridge(i, [.cluster(clusterView(i)), .server(observe(i)), .tick]) }
        }
        checkPostgres()
    }

    /// Faults of PostgreSQL's own processes: a postmaster dies, or a bridge restarts (adopting
    /// the running server).
    mutating func postgresFault() {
        let up = nodes.indices.filter { nodes[$0].isUp }
        guard !up.isEmpty else { return }
        let i = up[random(up.count)]
        if chance(50), nodes[i].postgres.running {
            note("n\(nodes[i].id) postgres: the postmaster dies")
            stopServer(i, clean: false)
        } else {
            note("n\(nodes[i].id) bridge restarts")
            bootBridge(i)
        }
    }

    // MARK: - The bridge

    /// Node `i`'s view of the cluster, from its machine and its replicated state.
    func clusterView(_ i: Int) -> ClusterView {
        let core = nodes[i].core!
        let sm = nodes[i].sm!
        let record = sm.get(Topology.key)
        var reports: [UInt64: MemberReport] = [:]
        for (_, r) in sm.list(prefix: MemberReport.keyPrefix) {
            if let report = MemberReport(encoded: r.value) { reports[report.node] = report }
        }
        // In a joint configuration both halves vote: the bridge counts them together.
        let voters = Set(core.confState.voters + core.confState.votersOutgoing).sorted()
        return ClusterView(
            term: core.term, leader: core.leaderID ?? 0, voters: voters, members: core.confState.allMembers.sorted(),
            topology: record.flatMap { Topology(encoded: $0.value) }, topologyRevision: record?.modRevision ?? 0, reports: reports)
    }

    /// What node `i`'s bridge observes of its server.
    func observe(_ i: Int) -> ServerObservation {
        let id = nodes[i].id
        let standbys = nodes.filter { $0.postgres.running && $0.postgres.inRecovery && $0.postgres.streamingFrom == id }.map {
            ServerObservation.ConnectedStandby(node: $0.id, streaming: true, flushed: WALPosition($0.postgres.flushed))
        }
        return nodes[i].postgres.observation(standbys: standbys)
    }

    mutating func feedBridge(_ i: Int, _ events: [BridgeEvent]) {
        for event in events {
            guard nodes[i].bridge != nil, nodes[i].isRunning else { return }
            let actions = nodes[i].bridge!.handle(event, now: Int64(now))
            for action in actions { performBridge(i, action) }
            if violation != nil { return }
        }
    }

    mutating func performBridge(_ i: Int, _ action: BridgeAction) {
        let id = nodes[i].id
        switch action {
        case .perform(let op):
            if op == .promote, let v = checkPromotionAuthorized(i) { return fail(v) }
            note("n\(id) bridge: \(op.summary)")
            nodes[i].bridgeOperation = (op, now + operationDuration(op))
        case .write(let w):
            // pgraft-consensus forwards a follower's proposal to the leader; here the bridge's
            // request goes to the leader its node knows, if the link between them is up.
            guard let l = nodes[i].core?.leaderID, Int(l - 1) < nodes.count, nodes[Int(l - 1)].isRunning, l == id || postgresLink(i, Int(l - 1)) else {
                return feedBridge(i, [.written(w, failure: "no leader reachable")])
            }
            note("n\(id) bridge writes \(w.summary)")
            lastRequest += 1
            bridgeRequests[lastRequest] = (node: id, incarnation: nodes[i].incarnation, write: w)
            switch w {
            case .report(let r):
                feed(Int(l - 1), .request(lastRequest, .put(key: MemberReport.key(of: r.node), value: r.encoded)))
            case .topology(let t, let revision):
                feed(Int(l - 1), .request(lastRequest, .compareAndSet(key: Topology.key, expectedRevision: revision, value: t.encoded)))
            }
        case .transferLeadership(let target):
            note("n\(id) bridge hands leadership to n\(target)")
            lastRequest += 1
            feed(i, .request(lastRequest, .transferLeader(id: target)))
        case .publish(let status):
            let before = nodes[i].bridgeStatus
            nodes[i].bridgeStatus = status
            if before?.role != status.role || before?.detail != status.detail { note("n\(id) bridge: \(status.role.rawValue): \(status.detail)") }
        case .log(_, let text):
            note("n\(id) bridge: \(text)")
        }
    }

    /// Answers a write of a bridge; false when `reply` is not for one.
    mutating func answeredBridge(_ reply: NodeReply) -> Bool {
        guard let asked = bridgeRequests.removeValue(forKey: reply.id) else { return false }
        let i = Int(asked.node - 1)
        guard nodes[i].incarnation == asked.incarnation, nodes[i].bridge != nil else { return true }
        let failure: String?
        var revision: UInt64 = 0
        switch (reply.status, reply.result) {
        case (.ok, .written(let r, _, _)):
            failure = nil
            revision = r
        case (.ok, .unchanged): failure = "the record changed meanwhile"
        default: failure = "\(reply.status)"
        }
        guard nodes[i].isRunning else { return true }
        feedBridge(i, [.cluster(clusterView(i)), .written(asked.write, revision: revision, failure: failure)])
        return true
    }

    /// How long an operation takes, in ms.
    mutating func operationDuration(_ op: BridgeOperation) -> Int {
        switch op {
        case .initdb: return 40 + random(20)
        case .baseBackup, .reclone: return 30 + random(40)
        case .rewind: return 15 + random(20)
        case .start: return 10 + random(20)
        case .stop: return 5 + random(10)
        case .promote: return 5 + random(15)
        case .follow, .setSynchronousStandbys, .keepSlots, .markBranch: return 1 + random(3)
        }
    }

    /// Ends the operations whose time has come, with their effect on the server.
    mutating func completeBridgeOperations() {
        for i in nodes.indices {
            guard let (op, done) = nodes[i].bridgeOperation, done <= now else { continue }
            nodes[i].bridgeOperation = nil
            let failure = apply(op, on: i)
            if let failure { note("n\(nodes[i].id) bridge: \(op.summary) fails: \(failure)") }
            if op == .promote, failure == nil, let v = checkPromoted(i) { return fail(v) }
            guard nodes[i].isRunning else { continue }
            feedBridge(i, [.cluster(clusterView(i)), .performed(op, failure: failure), .server(observe(i))])
        }
    }

    /// Whether node `i` can reach node `j`'s server both ways.
    func postgresLink(_ i: Int, _ j: Int) -> Bool {
        nodes[j].isUp && !blocked.contains(Self.link(nodes[i].id, nodes[j].id)) && !blocked.contains(Self.link(nodes[j].id, nodes[i].id))
    }

    /// Does `op` to node `i`'s server; returns why it failed, if it did.
    mutating func apply(_ op: BridgeOperation, on i: Int) -> String? {
        let pg = nodes[i].postgres
        switch op {
        case .initdb:
            guard pg.systemIdentifier == nil else { return "the data directory is not empty" }
            pg.systemIdentifier = 1 + rng.next() % 1_000_000_007
            appendRecord(pg, txn: 0, timeline: 1)
            pg.isStandbyDirectory = false
        case .baseBackup(let from), .reclone(let from):
            let j = Int(from - 1)
            guard j < nodes.count, nodes[j].postgres.running, postgresLink(i, j) else { return "node \(from)'s server cannot be reached" }
            if case .baseBackup = op, pg.systemIdentifier != nil { return "the data directory is not empty" }
            if pg.running { return "the server runs" }
            let source = nodes[j].postgres
            pg.systemIdentifier = source.systemIdentifier
            pg.wal = source.wal
            pg.branch = source.branch
            pg.isStandbyDirectory = true
            pg.upstream = from
        case .rewind(let from):
            let j = Int(from - 1)
            guard j < nodes.count, nodes[j].postgres.running, postgresLink(i, j) else { return "node \(from)'s server cannot be reached" }
            guard !pg.running else { return "the server runs" }
            let source = nodes[j].postgres
            guard source.systemIdentifier == pg.systemIdentifier else { return "another database system" }
            pg.wal.removeSubrange(pg.commonPrefix(with: source)...)
            pg.branch = source.branch
            pg.isStandbyDirectory = true
            pg.upstream = from
        case .start(let standby, let upstream):
            guard pg.systemIdentifier != nil else { return "no data directory" }
            guard !pg.running else { return "already running" }
            pg.running = true
            pid &+= 1
            pg.pid = pid
            pg.inRecovery = standby || pg.isStandbyDirectory
            pg.isStandbyDirectory = pg.inRecovery
            pg.upstream = pg.inRecovery ? upstream : nil
            pg.streamingFrom = nil
            // A primary starts fenced; the bridge lifts the fence when its node may acknowledge.
            if !pg.inRecovery { pg.synchronousNames = SynchronousStandbys.fence }
        case .stop:
            if pg.running { stopServer(i, clean: true) }
        case .follow(let upstream):
            guard pg.running, pg.inRecovery else { return "not a running standby" }
            pg.upstream = upstream
            pg.streamingFrom = nil
        case .promote:
            guard pg.running, pg.inRecovery else { return "not a running standby" }
            let newTimeline = pg.timeline + 1
            pg.inRecovery = false
            pg.isStandbyDirectory = false
            pg.upstream = nil
            pg.streamingFrom = nil
            appendRecord(pg, txn: 0, timeline: newTimeline)
            note("n\(nodes[i].id) postgres: promoted to timeline \(newTimeline) at \(pg.flushed)")
        case .setSynchronousStandbys(let value):
            guard pg.running else { return "not running" }
            pg.synchronousNames = value
        case .keepSlots:
            guard pg.running else { return "not running" }
        case .markBranch(let branch):
            guard pg.systemIdentifier != nil else { return "no data directory" }
            pg.branch = branch
        }
        return nil
    }

    mutating func appendRecord(_ pg: SimPostgres, txn: UInt64, timeline: UInt32) {
        walRecords += 1
        pg.wal.append(SimWALRecord(id: walRecords, timeline: timeline, txn: txn))
    }

    /// Stops node `i`'s server (a crash when not `clean`); the commits waiting on it are abandoned.
    mutating func stopServer(_ i: Int, clean: Bool) {
        let pg = nodes[i].postgres
        pg.running = false
        pg.streamingFrom = nil
        pg.cleanShutdown = clean
        transactions.removeAll { $0.node == nodes[i].id }
    }

    // MARK: - Replication

    /// Each running standby whose upstream runs and is reachable, and whose history agrees with
    /// it, receives what it lacks (a few records each millisecond).
    mutating func replicate() {
        for i in nodes.indices {
            let pg = nodes[i].postgres
            guard pg.running, pg.inRecovery else { continue }
            guard let up = pg.upstream, Int(up - 1) < nodes.count, postgresLink(i, Int(up - 1)), nodes[Int(up - 1)].postgres.running,
                nodes[Int(up - 1)].postgres.canFeed(pg)
            else {
                pg.streamingFrom = nil
                continue
            }
            let source = nodes[Int(up - 1)].postgres
            pg.streamingFrom = up
            let missing = source.wal.count - pg.wal.count
            if missing > 0 { pg.wal.append(contentsOf: source.wal[pg.wal.count..<(pg.wal.count + min(missing, 1 + random(8)))]) }
        }
    }

    // MARK: - Database clients

    /// Database clients commit transactions on the server a load balancer shows as the primary (or,
    /// now and then, on any server that takes writes, as a client with a stale address would), and
    /// hear when each is acknowledged.
    mutating func databaseClientsStep() {
        // Acknowledgements.
        var waiting: [SimTransaction] = []
        for t in transactions {
            let i = Int(t.node - 1)
            let pg = nodes[i].postgres
            guard pg.running, pg.pid == t.pid else { continue }
            if now - t.sent > 1000 { continue }  // the client gives up: the outcome is unknown
            if acknowledges(i, through: t.position) {
                if let v = checkAcknowledged(t, by: i) { return fail(v) }
                acknowledged.append(SimAcknowledged(txn: t.txn, node: t.node, at: now))
            } else {
                waiting.append(t)
            }
        }
        transactions = waiting
        // New transactions.
        guard transactions.count < 4, oneIn(3) else { return }
        // Mostly through a load balancer that asks each bridge (GET /primary); now and then
        // straight to any server that takes writes, as a client with a stale address would.
        var writable = nodes.indices.filter { nodes[$0].postgres.running && !nodes[$0].postgres.inRecovery }
        if !oneIn(10) { writable = writable.filter { nodes[$0].bridgeStatus?.role == .primary } }
        guard !writable.isEmpty else { return }
        let i = writable[random(writable.count)]
        let pg = nodes[i].postgres
        nextTransaction += 1
        appendRecord(pg, txn: nextTransaction, timeline: pg.timeline)
        transactions.append(SimTransaction(txn: nextTransaction, node: nodes[i].id, position: pg.flushed, pid: pg.pid, sent: now))
    }

    /// Whether node `i`'s primary acknowledges a commit at `position` (nil: any, as soon as the
    /// standbys it names stream from it): asynchronous, or enough of them stream and hold it.
    func acknowledges(_ i: Int, through position: UInt64?) -> Bool {
        let pg = nodes[i].postgres
        guard pg.running, !pg.inRecovery else { return false }
        guard let rule = pg.synchronousRule else { return true }
        let id = nodes[i].id
        let holding = nodes.filter {
            rule.names.contains($0.id) && $0.postgres.running && $0.postgres.streamingFrom == id && $0.postgres.flushed >= position ?? 0
        }
        return !rule.names.isEmpty && holding.count >= rule.needed
    }

    /// Whether node `i`'s primary could acknowledge commits now: enough of the standbys it names
    /// stream from it (or it needs none).
    func canAcknowledge(_ i: Int) -> Bool { acknowledges(i, through: nil) }

    // MARK: - Checks

    /// The voting configurations as the running node that applied the most knows them: one, or
    /// both halves of a joint configuration.
    var currentVoterSets: [[NodeID]] {
        let ahead = nodes.filter { $0.core != nil }.max { ($0.sm?.appliedIndex ?? 0) < ($1.sm?.appliedIndex ?? 0) }
        guard let conf = ahead?.core?.confState else { return [] }
        return conf.isJoint ? [conf.voters, conf.votersOutgoing] : [conf.voters]
    }

    /// An acknowledged commit is on enough voters that every majority holds one of them (in both
    /// halves of a joint configuration): the next leader's majority then reports it.
    func checkAcknowledged(_ t: SimTransaction, by i: Int) -> String? {
        for voters in currentVoterSets where !voters.isEmpty {
            let holding = voters.filter { v in
                let pg = nodes[Int(v - 1)].postgres
                return pg.wal.count >= Int(t.position) && pg.wal[Int(t.position) - 1].txn == t.txn
            }
            let needed = voters.count - (voters.count / 2 + 1) + 1
            if holding.count < needed {
                return "commit \(t.txn) acknowledged by n\(t.node) while only \(holding.map { "n\($0)" }) of the voters \(voters) hold it (a majority could miss it)"
            }
        }
        return nil
    }

    /// A promotion is asked only once the topology naming the node for its term is committed.
    func checkPromotionAuthorized(_ i: Int) -> String? {
        guard let core = nodes[i].core, let record = nodes[i].sm?.get(Topology.key), let t = Topology(encoded: record.value),
            t.primary == nodes[i].id, t.term == core.term
        else {
            return "n\(nodes[i].id) promotes its server before the topology naming it for its term is committed"
        }
        return nil
    }

    /// A server just promoted holds every commit acknowledged so far.
    func checkPromoted(_ i: Int) -> String? {
        let pg = nodes[i].postgres
        let held = Set(pg.wal.lazy.map(\.txn))
        if let lost = acknowledged.first(where: { !held.contains($0.txn) }) {
            return "n\(nodes[i].id) promoted without commit \(lost.txn), acknowledged by n\(lost.node) at \(lost.at)"
        }
        return nil
    }

    mutating func checkPostgres() {
        // At most one server can acknowledge.
        let acknowledging = nodes.indices.filter { canAcknowledge($0) }
        if acknowledging.count > 1 {
            return fail("servers of \(acknowledging.map { "n\(nodes[$0].id)" }) can all acknowledge commits")
        }
        // A server takes writes only with its node's authority, or for one election timeout after.
        for i in nodes.indices {
            let pg = nodes[i].postgres
            let takesWrites = pg.running && !pg.inRecovery && pg.synchronousNames != SynchronousStandbys.fence
            guard takesWrites, !hasAuthority(i) else {
                nodes[i].unauthorizedSince = nil
                continue
            }
            let since = nodes[i].unauthorizedSince ?? now
            nodes[i].unauthorizedSince = since
            if now - since > electionTimeoutMs {
                return fail("n\(nodes[i].id)'s server takes writes \(now - since) ms after its node stopped leading with the topology naming it")
            }
        }
    }

    /// Whether node `i` leads with the topology naming it for its term.
    func hasAuthority(_ i: Int) -> Bool {
        guard let core = nodes[i].core, core.isLeader, let record = nodes[i].sm?.get(Topology.key), let t = Topology(encoded: record.value)
        else { return false }
        return t.primary == nodes[i].id && t.term == core.term
    }

    /// After healing: one writable primary that holds every acknowledged commit, and commits
    /// acknowledged in the last second.
    mutating func checkPostgresEnd() {
        guard options.postgres else { return }
        let primaries = nodes.indices.filter { hasAuthority($0) && canAcknowledge($0) }
        let states = nodes.indices.filter { nodes[$0].isUp }.map { i in
            let pg = nodes[i].postgres
            return "n\(nodes[i].id) term \(nodes[i].core?.term ?? 0) authority \(hasAuthority(i)) running \(pg.running) recovery \(pg.inRecovery) sync '\(pg.synchronousNames)' from \(pg.streamingFrom.map { "n\($0)" } ?? "-"): \(nodes[i].bridgeStatus?.detail ?? "-")"
        }.joined(separator: "; ")
        guard primaries.count == 1, let p = primaries.first else {
            livenessFailure = livenessFailure ?? "not one writable primary at the end (\(primaries.count)): \(states)"
            return
        }
        if let v = checkPromoted(p) { return fail("at the end, " + v) }
        let end = options.steps + options.healSteps
        if !acknowledged.contains(where: { $0.at >= end - 1000 }) {
            livenessFailure = livenessFailure ?? "no commit acknowledged in the last second (primary n\(nodes[p].id)): \(states)"
        }
    }
}

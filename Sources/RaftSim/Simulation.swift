import PGRaftBridge
import PGRaftNode
import PGRaftStateMachine
import RaftCore

/// A deterministic simulation of a pgraft cluster: every node runs ``NodeMachine``, the code
/// `pgraft-consensus` runs, over a virtual clock (one step is one millisecond), a network that
/// loses, duplicates, delays and partitions messages, storage processes that restart and disks
/// that lose or tear unfinished writes on a crash, clients, and checkers that run after every step.
public struct Simulation {
    enum Event {
        case deliver(Message)
        /// Storage finished its oldest job.
        case storageDone(NodeID, incarnation: Int, storage: Int)
        /// Storage's answer to a load.
        case loaded(NodeID, incarnation: Int, storage: Int)
        /// Storage is back after a restart.
        case storageBack(NodeID, incarnation: Int, storage: Int)
        /// A snapshot image is encoded.
        case encoded(NodeID, incarnation: Int, Snapshot)
        case restart(NodeID, incarnation: Int)
        /// Cut a (new) leader off, by partition or crash, for `duration` ms.
        case cutLeader(NodeID, crash: Bool, duration: Int)
    }

    /// One running fault: until `end`, a network level (loss or duplication percent, extra
    /// delay) or a set of cut links; for leader isolation, `level` 1 arms leader churn.
    struct Episode {
        let fault: SimFault
        let end: Int
        var level: Int = 0
        var blocked: Set<UInt64> = []
        /// For a slow disk: the nodes whose writes stall (up to `level` ms each).
        var disks: Set<NodeID> = []
    }

    /// The options of this run.
    public let options: SimOptions
    var rng: SplitMix64
    var now = 0
    var nodes: [SimNode] = []
    var events = EventQueue<Event>()
    var checker = SafetyChecker()
    var lin = LinearizabilityChecker()
    var clients: [SimClient] = []
    var history: [HistoryOp] = []
    var acked: [(index: UInt64, term: UInt64)] = []
    var violation: String?
    let traceLog = TraceLog()
    var digest: UInt64 = 0xCBF2_9CE4_8422_2325
    var episodes: [Episode] = []
    var lossPercent = 0
    var dupPercent = 0
    var reorderSpread = 0
    var delaySpike = 0
    var blocked: Set<UInt64> = []
    /// The longest stall, in ms, a write on each slow disk may take.
    var diskStall: [NodeID: Int] = [:]
    var healed = false
    var healStart = 0
    var leaderAfterHealAt: Int?
    var commitToReach: UInt64?
    var livenessFailure: String?
    /// The last client request id handed out.
    var lastRequest: RequestID = 0
    /// Which client each request in flight is for.
    var requestClient: [RequestID: Int] = [:]
    /// Dials refused as a non-member (``link(_:_:)`` of the lower and the higher id), with when
    /// the dialler last heard it.
    var refusedDials: [UInt64: Int] = [:]
    /// The bridges' writes in flight, by request (`--postgres`).
    var bridgeRequests: [RequestID: (node: NodeID, incarnation: Int, write: BridgeWrite)] = [:]
    /// Database transactions waiting for their commit to be acknowledged.
    var transactions: [SimTransaction] = []
    /// Every commit acknowledged to a database client, in order.
    var acknowledged: [SimAcknowledged] = []
    /// WAL records made so far (each record's id).
    var walRecords: UInt64 = 0
    /// The last database transaction id.
    var nextTransaction: UInt64 = 0
    /// The last postmaster pid handed out.
    var pid: Int32 = 100
    let tickEvery = 10
    let opTimeout = 1000
    var raftConfig: RaftConfig

    /// Prepares a run; nothing happens until ``run()``.
    public init(options: SimOptions) {
        self.options = options
        self.rng = SplitMix64(seed: options.seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x1234_5678)
        var c = RaftConfig(id: 1)
        c.electionTick = 10
        c.heartbeatTick = 2
        c.maxEntriesPerMessage = [1, 1, 2, 8, 64][Int(rng.next() % 5)]
        c.maxInflightMessages = [1, 4, 32][Int(rng.next() % 3)]
        // Without both pre-vote and check-quorum a removed server that never learned of its
        // removal disrupts the group forever (§4.2.3); run one or both.
        switch rng.next() % 4 {
        case 0: c.checkQuorum = false
        case 1: c.preVote = false
        default: break
        }
        c.forwardProposals = false
        if options.postgres {
            // As pgraft-consensus runs (its fencing rests on check-quorum).
            c.preVote = true
            c.checkQuorum = true
        }
        c.injectedDefects = options.defects
        raftConfig = c
        for id in 1...UInt64(options.nodes) {
            nodes.append(SimNode(id: id, compactEvery: compactInterval()))
        }
        for i in nodes.indices { boot(i) }
        for i in 0..<options.clients { clients.append(SimClient(id: i)) }
        note("start nodes=\(options.nodes) maxEntries=\(c.maxEntriesPerMessage) inflight=\(c.maxInflightMessages) preVote=\(c.preVote) checkQuorum=\(c.checkQuorum)")
    }

    /// The machine settings of node `id` in its `incarnation`: founding voters found the
    /// cluster from an empty disk, later nodes wait to be added.
    func settings(_ id: NodeID, _ incarnation: Int) -> NodeSettings {
        var c = raftConfig
        c.id = id
        let founders = (1...UInt64(options.nodes)).map { $0 }
        let node = nodes[Int(id - 1)]
        return NodeSettings(
            raft: c, tickMs: Int64(tickEvery), requestTimeoutMs: Int64(opTimeout - 200), snapshotEntries: UInt64(node.compactEvery),
            emptyLog: id <= UInt64(options.nodes) ? .found(voters: founders) : .join,
            configuredMembers: founders.map { NodeAddress(id: $0, address: "n\($0):7000") },
            sequenceBase: UInt64(incarnation + 1) << 40, randomSeed: randomSeed(id, incarnation), defects: options.driverDefects)
    }

    func randomSeed(_ id: NodeID, _ incarnation: Int) -> UInt64 {
        options.seed &* 31 &+ id &* 1_000_003 &+ UInt64(incarnation) &* 7919
    }

    mutating func compactInterval() -> Int {
        options.faults.contains(.snapshot) ? 5 + random(25) : 100 + random(200)
    }

    /// A uniform integer in `0..<n`.
    mutating func random(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    /// True with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool { random(100) < percent }

    /// True with probability 1/`n`.
    mutating func oneIn(_ n: Int) -> Bool { random(n) == 0 }

    func note(_ s: @autoclosure () -> String) {
        if options.trace { traceLog.lines.append("t=\(now) \(s())") }
    }

    mutating func mix(_ values: UInt64...) {
        for v in values {
            digest = (digest ^ v) &* 0x100_0000_01B3
        }
    }

    mutating func fail(_ what: String) {
        if violation == nil {
            violation = "step \(now): \(what)"
            note("VIOLATION \(what)")
        }
    }

    /// Runs the fault phase, the healed phase and the final checks.
    public static func run(_ options: SimOptions) -> SimResult {
        var sim = Simulation(options: options)
        return sim.run()
    }

    /// Runs this simulation to the end.
    public mutating func run() -> SimResult {
        let total = options.steps + options.healSteps
        while now < total && violation == nil {
            step()
        }
        if violation == nil { finalChecks() }
        if violation == nil { checkLiveness() }
        if violation == nil { checkPostgresEnd() }
        let completed = history.filter { $0.response != nil }.count
        let commit = nodes.compactMap { $0.core?.log.committed }.max() ?? 0
        return SimResult(
            seed: options.seed, violation: violation, livenessFailure: livenessFailure, digest: digest,
            trace: traceLog.lines, completedOps: completed, elections: checker.leaderOfTerm.count, commitIndex: commit)
    }

    mutating func step() {
        now += 1
        if now == options.steps + 1 { heal() }
        for e in events.take(at: now) {
            handle(e)
            if violation != nil { return }
        }
        if !healed {
            endEpisodes()
            if oneIn(300) { startFault() }
        }
        if now % tickEvery == 0 {
            for i in nodes.indices where nodes[i].isUp { feed(i, .tick) }
            if !healed {
                clusterActions()
                if oneIn(30) { leaveJointIfNeeded() }
            }
        }
        clientsStep()
        postgresStep()
        if violation != nil { return }
        checkStep()
        if healed { trackLiveness() }
    }

    // MARK: - Events

    mutating func handle(_ e: Event) {
        switch e {
        case .deliver(let m):
            let i = Int(m.to - 1)
            guard i < nodes.count, nodes[i].isUp, !blocked.contains(Self.link(m.from, m.to)), transportConnects(m.from, m.to) else { return }
            mix(UInt64(now), m.from, m.to, UInt64(m.kind.rawValue), m.term, m.index)
            feed(i, .peerMessage(m))
        case .storageDone(let id, let inc, let storage):
            let i = Int(id - 1)
            guard current(i, inc, storage), let (job, _) = nodes[i].jobs.first else { return }
            nodes[i].jobs.removeFirst()
            if let why = nodes[i].write(job) { return fail(why) }
            switch job {
            case .persist(let batch): feed(i, .persisted(batch: batch.id))
            case .compact(let snapshot): feed(i, .compacted(index: snapshot.metadata.index, failure: nil))
            }
        case .loaded(let id, let inc, let storage):
            let i = Int(id - 1)
            guard current(i, inc, storage) else { return }
            if let v = checker.checkRestart(node: id, durableTerm: nodes[i].disk.hardState.term) { return fail(v) }
            feed(i, .loaded(nodes[i].diskIsEmpty ? nil : nodes[i].disk))
        case .storageBack(let id, let inc, let storage):
            let i = Int(id - 1)
            guard nodes[i].incarnation == inc, nodes[i].storageIncarnation == storage, nodes[i].isUp, !nodes[i].storageUp else { return }
            nodes[i].storageUp = true
            note("n\(id) storage is back")
            feed(i, .storageConnected)
        case .encoded(let id, let inc, let snapshot):
            let i = Int(id - 1)
            guard nodes[i].incarnation == inc, nodes[i].isUp else { return }
            feed(i, .snapshotEncoded(snapshot))
        case .restart(let id, let inc):
            let i = Int(id - 1)
            guard nodes[i].incarnation == inc, !nodes[i].isUp, !nodes[i].removed else { return }
            restart(i)
        case .cutLeader(let id, let crash, let duration):
            let i = Int(id - 1)
            guard !healed, nodes[i].isUp else { return }
            if crash {
                self.crash(i, for: duration)
            } else {
                let others = nodes.filter { !$0.removed && $0.id != id }.map(\.id)
                episodes.append(Episode(fault: .isolateLeader, end: now + duration, blocked: Self.cut([id], others, bothWays: true)))
                note("n\(id) cut off for \(duration) ms")
                applyEpisodes()
            }
        }
    }

    /// Whether an event of node `i`'s life `inc` and storage life `storage` still counts.
    func current(_ i: Int, _ inc: Int, _ storage: Int) -> Bool {
        nodes[i].incarnation == inc && nodes[i].storageIncarnation == storage && nodes[i].isUp && nodes[i].storageUp
    }

    static func link(_ from: NodeID, _ to: NodeID) -> UInt64 { from << 32 | to }

    // MARK: - Running the machine

    /// Hands `event` to node `i`'s machine and performs what it returns.
    mutating func feed(_ i: Int, _ event: NodeEvent) {
        guard nodes[i].machine != nil else { return }
        let actions = nodes[i].machine!.handle(event, now: Int64(now))
        for action in actions {
            perform(i, action)
            if violation != nil { return }
        }
        if nodes[i].leftGroup, let core = nodes[i].core, !core.isLeader {
            note("n\(nodes[i].id) applied its own removal: stops")
            nodes[i].removed = true
            nodes[i].machine = nil
            crashPostgres(i)
        }
    }

    mutating func perform(_ i: Int, _ action: NodeAction) {
        let node = nodes[i]
        switch action {
        case .send(let m):
            send(m)
        case .load:
            events.schedule(.loaded(node.id, incarnation: node.incarnation, storage: node.storageIncarnation), at: now + 1 + random(3), now: now)
        case .persist(let batch):
            if let v = checker.checkEntries(node: node.id, batch.entries, "appends") { return fail(v) }
            queue(i, .persist(batch))
        case .encodeSnapshot(let index, let term, let image):
            let snapshot = Snapshot(metadata: .init(index: index, term: term, confState: image.membership), data: image.snapshot())
            events.schedule(.encoded(node.id, incarnation: node.incarnation, snapshot), at: now + 1 + random(5), now: now)
        case .compact(let snapshot):
            note("n\(node.id) compacts through \(snapshot.metadata.index)")
            queue(i, .compact(snapshot))
        case .reply(let reply):
            answered(reply, by: node)
        case .applied(let entry, let result):
            applied(i, entry, result)
        case .fail(let why):
            fail("node \(node.id) stopped: \(why)")
        case .leftCluster:
            nodes[i].leftGroup = true
        case .announceMembers(let members):
            nodes[i].transportMembers = Set(members.map(\.id))
        case .publish, .count:
            break
        case .log(let record):
            note("n\(node.id) \(record.message)")
        }
    }

    /// Gives storage of node `i` a job; it completes after the ones before it.
    mutating func queue(_ i: Int, _ job: SimNode.Job) {
        guard nodes[i].storageUp else { return }  // sent to a storage that is down: lost
        var slow = delaySpike > 0 ? random(delaySpike / 4 + 1) : 0
        if let stall = diskStall[nodes[i].id] { slow += random(stall + 1) }
        let done = max(nodes[i].jobs.last?.done ?? 0, now + 2 + random(7) + slow)
        nodes[i].jobs.append((job, done))
        events.schedule(.storageDone(nodes[i].id, incarnation: nodes[i].incarnation, storage: nodes[i].storageIncarnation), at: done, now: now)
    }

    /// Storage's jobs in flight end by a crash: a prefix of what they write reached the disk.
    mutating func tearJobs(_ i: Int) {
        let jobs = nodes[i].jobs.map(\.job)
        nodes[i].jobs = []
        guard !jobs.isEmpty else { return }
        var budget = random(jobs.map(SimNode.size).reduce(0, +) + 1)
        note("n\(nodes[i].id) storage loses its writes in flight (\(budget) operations reach the disk)")
        for job in jobs where budget > 0 {
            if let why = nodes[i].write(job, limit: budget) { return fail(why) }
            budget -= SimNode.size(job)
        }
    }

    mutating func send(_ m: Message) {
        if m.kind == .voteResponse && !m.reject {
            checker.noteActed(node: m.from, term: m.term, role: "voter")
        }
        if let v = checkDurableBeforeSent(m) { return fail(v) }
        if !m.entries.isEmpty, let v = checker.checkEntries(node: m.from, m.entries, "sends n\(m.to)") {
            return fail(v)
        }
        if blocked.contains(Self.link(m.from, m.to)) { return }
        if lossPercent > 0 && chance(lossPercent) { return }
        var d = 1 + random(3)
        if reorderSpread > 0 { d += random(reorderSpread + 1) }
        if delaySpike > 0 && chance(20) { d += random(delaySpike + 1) }
        events.schedule(.deliver(m), at: now + d, now: now)
        if dupPercent > 0 && chance(dupPercent) {
            events.schedule(.deliver(m), at: now + d + 1 + random(20), now: now)
        }
    }

    /// Whether the transports of `a` and `b` are connected, as pgraft-transport's are: the node
    /// with the higher id welcomes the other's greeting only if it counts it a member (everyone,
    /// until its machine announces the members). A dialler refused as a non-member hears it
    /// (``NodeEvent/peerRefusal(_:refused:)``), as in production, where it dials again at least
    /// every second, and hears when the peer welcomes it again.
    ///
    /// Not modelled: production dials only members with higher ids, so a member whose applied
    /// configuration predates a newer member with a higher id does not connect to it, and cannot
    /// hear it while it leads until another leader brings it up to date (docs/CLUSTER.md, limits).
    /// The simulation connects such a pair as soon as the higher one welcomes the lower.
    mutating func transportConnects(_ a: NodeID, _ b: NodeID) -> Bool {
        let (low, high) = a < b ? (a, b) : (b, a)
        let l = Int(low - 1)
        let h = Int(high - 1)
        let welcomed = nodes[h].transportMembers?.contains(low) ?? true
        let pair = Self.link(low, high)
        if welcomed {
            if refusedDials.removeValue(forKey: pair) != nil, nodes[l].isUp { feed(l, .peerRefusal(high, refused: false)) }
        } else if now - (refusedDials[pair] ?? Int.min / 2) >= 1000, nodes[l].isUp {
            refusedDials[pair] = now
            note("n\(high) refuses n\(low) as a non-member")
            feed(l, .peerRefusal(high, refused: true))
        }
        return welcomed
    }

    /// A message that promises durable state (a vote, an acknowledgement of appended entries)
    /// leaves only when the sender's disk holds what it promises.
    func checkDurableBeforeSent(_ m: Message) -> String? {
        let i = Int(m.from - 1)
        guard i < nodes.count else { return nil }
        let disk = nodes[i].disk
        switch m.kind {
        case .voteResponse where !m.reject:
            // A later durable term also binds: the node can never vote in this term again.
            guard disk.hardState.term > m.term || (disk.hardState.term == m.term && disk.hardState.vote == m.to) else {
                return "durable before sent: n\(m.from) grants n\(m.to) its vote in term \(m.term) while its disk holds term \(disk.hardState.term) vote \(disk.hardState.vote.map { "n\($0)" } ?? "none")"
            }
        case .appendResponse where !m.reject:
            guard nodes[i].diskLastIndex >= m.index else {
                return "durable before sent: n\(m.from) acknowledges index \(m.index) to n\(m.to) while its disk holds only through \(nodes[i].diskLastIndex)"
            }
        default:
            break
        }
        return nil
    }

    // MARK: - Nodes

    /// Starts node `i`'s machine, with storage up: it loads what the disk holds.
    mutating func boot(_ i: Int) {
        nodes[i].machine = NodeMachine(settings: settings(nodes[i].id, nodes[i].incarnation))
        nodes[i].transportMembers = nil
        nodes[i].storageUp = true
        nodes[i].checkedCommit = 0
        nodes[i].ledTerm = 0
        bootBridge(i)
        feed(i, .storageConnected)
    }

    mutating func applied(_ i: Int, _ e: Entry, _ result: CommandResult) {
        let id = nodes[i].id
        if let v = checker.checkApplied(node: id, e) { return fail(v) }
        mix(UInt64(e.index), e.term)
        guard e.kind == .normal, case .request(_, _, let cmd)? = Command.decode(e.data) else { return }
        var rec: String?
        switch (cmd, result) {
        case (.put(let k, let v), .put(let rev)):
            rec = lin.record(revision: rev, key: k, value: v)
        case (.delete(let k), .deleted(let rev?)):
            rec = lin.record(revision: rev, key: k, value: nil)
        case (.compareAndSet(let k, _, let v), .compareAndSet(true, let rev)):
            rec = lin.record(revision: rev, key: k, value: v)
        default:
            break
        }
        if let rec { fail("state machine safety: \(rec)") }
    }

    mutating func crash(_ i: Int, for duration: Int) {
        guard nodes[i].isUp else { return }
        tearJobs(i)
        nodes[i].machine = nil
        crashPostgres(i)
        nodes[i].incarnation += 1
        note("n\(nodes[i].id) crashes (down \(duration) ms)")
        events.schedule(.restart(nodes[i].id, incarnation: nodes[i].incarnation), at: now + duration, now: now)
    }

    /// Restarts storage of node `i` alone: what it had in flight is torn, the machine is told,
    /// and storage is back after `duration` ms.
    mutating func restartStorage(_ i: Int, for duration: Int) {
        guard nodes[i].isUp, nodes[i].storageUp else { return }
        tearJobs(i)
        nodes[i].storageUp = false
        nodes[i].storageIncarnation += 1
        note("n\(nodes[i].id) storage restarts (down \(duration) ms)")
        feed(i, .storageDisconnected)
        events.schedule(.storageBack(nodes[i].id, incarnation: nodes[i].incarnation, storage: nodes[i].storageIncarnation), at: now + duration, now: now)
    }

    mutating func restart(_ i: Int) {
        note("n\(nodes[i].id) restarts at term \(nodes[i].disk.hardState.term), last index \(nodes[i].diskLastIndex)")
        boot(i)
    }

    /// The live leader with the highest term, if any.
    func currentLeader() -> Int? {
        var best: Int?
        var bestTerm: UInt64 = 0
        for i in nodes.indices {
            guard let core = nodes[i].core, core.isLeader else { continue }
            if best == nil || core.term > bestTerm {
                best = i
                bestTerm = core.term
            }
        }
        return best
    }

    // MARK: - Checks

    mutating func checkStep() {
        for node in nodes {
            guard let core = node.core else { continue }
            let leads = core.isLeader
            let term = core.term
            if leads, let v = checker.checkElection(node: node.id, term: term) { return fail(v) }
            if core.log.committed > node.checkedCommit || core.safetyFault != nil {
                var from = node.checkedCommit
                if let v = checker.checkCommitted(core, from: &from) { return fail(v) }
                node.checkedCommit = from
            }
            if leads { checker.noteActed(node: node.id, term: term, role: "leader") }
            if leads && node.ledTerm != term {
                node.ledTerm = term
                note("n\(node.id) becomes leader of term \(term)")
                if let v = checker.checkLeaderCompleteness(core) { return fail(v) }
                if !healed && episodes.contains(where: { $0.fault == .isolateLeader && $0.level == 1 }) && chance(90) {
                    // Leader churn: a new leader loses its connectivity (or power) moments after winning.
                    let crash = options.faults.contains(.crash) && chance(40)
                    events.schedule(.cutLeader(node.id, crash: crash, duration: 30 + random(150)), at: now + 1 + (chance(50) ? random(5) : random(30)), now: now)
                }
            }
        }
        if now % 50 == 0 { checkLogMatching() }
    }

    mutating func checkLogMatching() {
        let cores = nodes.compactMap(\.core)
        for a in cores.indices {
            for b in cores.indices where b > a {
                if let v = SafetyChecker.checkLogMatching(cores[a], cores[b]) { return fail(v) }
            }
        }
    }

    mutating func finalChecks() {
        checkLogMatching()
        if violation != nil { return }
        // Every write a client was told is committed is in the final state.
        for a in acked {
            let k = Int(a.index)
            if k < checker.committedTerm.count, checker.committedTerm[k] != 0, checker.committedTerm[k] != a.term {
                return fail("acknowledged write at index \(a.index) term \(a.term) was lost")
            }
            if let l = currentLeader(), let t = nodes[l].core!.log.term(a.index), t != a.term {
                return fail("acknowledged write at index \(a.index) term \(a.term) is not in the leader's log")
            }
        }
        if let v = lin.check(history) { fail("linearizability: \(v)") }
    }
}

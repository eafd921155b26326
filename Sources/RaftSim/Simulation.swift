import RaftCore

/// A deterministic simulation of a Raft cluster over ``RawNode``: a virtual clock (one step is
/// one millisecond), a network that loses, duplicates, delays and partitions messages, disks
/// that lose unfinished writes on a crash, clients, and checkers that run after every step.
public struct Simulation {
    enum Event {
        case deliver(Message)
        case diskDone(NodeID, incarnation: Int)
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
    var token: UInt64 = 0
    /// The sequence of the last client proposal: with the node's id, the tag that names it.
    var proposalSequence: UInt64 = 0
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
        c.injectedDefects = options.defects
        raftConfig = c
        let voters = (1...UInt64(options.nodes)).map { $0 }
        for id in voters {
            let n = SimNode(id: id, disk: .bootstrap(voters: voters), compactEvery: compactInterval())
            n.raw = RawNode(config: config(id), state: n.disk, random: SplitMix64(seed: randomSeed(id, 0)))
            nodes.append(n)
        }
        for i in 0..<options.clients { clients.append(SimClient(id: i)) }
        note("start nodes=\(options.nodes) maxEntries=\(c.maxEntriesPerMessage) inflight=\(c.maxInflightMessages) preVote=\(c.preVote) checkQuorum=\(c.checkQuorum)")
    }

    func config(_ id: NodeID) -> RaftConfig {
        var c = raftConfig
        c.id = id
        return c
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
        let completed = history.filter { $0.response != nil }.count
        let commit = nodes.compactMap { $0.raw?.log.committed }.max() ?? 0
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
            for i in nodes.indices where nodes[i].isUp { nodes[i].raw!.tick() }
            if !healed {
                clusterActions()
                if oneIn(30) { leaveJointIfNeeded() }
            }
        }
        clientsStep()
        for i in nodes.indices { processReady(i) }
        checkStep()
        if healed { trackLiveness() }
    }

    // MARK: - Events

    mutating func handle(_ e: Event) {
        switch e {
        case .deliver(let m):
            let i = Int(m.to - 1)
            guard i < nodes.count, nodes[i].isUp, !blocked.contains(Self.link(m.from, m.to)) else { return }
            mix(UInt64(now), m.from, m.to, UInt64(m.kind.rawValue), m.term, m.index)
            nodes[i].raw!.step(m)
        case .diskDone(let id, let inc):
            let i = Int(id - 1)
            guard nodes[i].incarnation == inc, nodes[i].isUp, let rd = nodes[i].writing else { return }
            completeWrite(i, rd)
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

    static func link(_ from: NodeID, _ to: NodeID) -> UInt64 { from << 32 | to }

    mutating func send(_ m: Message) {
        if m.kind == .voteResponse && !m.reject {
            checker.noteActed(node: m.from, term: m.term, role: "voter")
        }
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

    // MARK: - Nodes

    mutating func processReady(_ i: Int) {
        guard nodes[i].isUp, nodes[i].writing == nil, nodes[i].withCore({ $0.hasReady }) else { return }
        let rd = nodes[i].raw!.ready()
        if let v = checker.checkEntries(node: nodes[i].id, rd.entries, "appends") { return fail(v) }
        for m in rd.messages { send(m) }
        nodes[i].readStates.append(contentsOf: rd.readStates)
        for rs in rd.readStates { deliverReadState(node: nodes[i].id, rs) }
        nodes[i].writing = rd
        if rd.hardState == nil && rd.entries.isEmpty && rd.snapshot == nil {
            completeWrite(i, rd)
        } else {
            var slow = delaySpike > 0 ? random(delaySpike / 4 + 1) : 0
            if let stall = diskStall[nodes[i].id] { slow += random(stall + 1) }
            events.schedule(.diskDone(nodes[i].id, incarnation: nodes[i].incarnation), at: now + 2 + random(7) + slow, now: now)
        }
    }

    /// The disk finished writing `rd`: it is durable, acknowledgements may leave, committed
    /// entries are applied, and the core is told.
    mutating func completeWrite(_ i: Int, _ rd: Ready) {
        let id = nodes[i].id
        nodes[i].persist(rd)
        nodes[i].writing = nil
        for m in rd.messagesAfterPersist { send(m) }
        if let s = rd.snapshot {
            guard let sm = ReplicatedStateMachine.restore(s.data, membership: s.metadata.confState) else {
                fail("node \(id) received an undecodable snapshot")
                return
            }
            nodes[i].sm = sm
            note("n\(id) installs snapshot at \(s.metadata.index)")
            for c in clients.indices {
                if let p = clients[c].proposal, p.node == id, p.index <= s.metadata.index { resolveWrite(c, .unknown) }
            }
        }
        for e in rd.committedEntries { apply(i, e) }
        nodes[i].raw!.advance(rd)
        mix(UInt64(now), id, nodes[i].withCore { $0.log.applied })
        if nodes[i].leftGroup && !nodes[i].withCore({ $0.isLeader }) {
            note("n\(id) applied its own removal: stops")
            nodes[i].removed = true
            nodes[i].raw = nil
            return
        }
        maybeCompact(i)
    }

    mutating func apply(_ i: Int, _ e: Entry) {
        let id = nodes[i].id
        if let v = checker.checkApplied(node: id, e) {
            fail(v)
            return
        }
        let expected = max(nodes[i].sm.appliedIndex, nodes[i].disk.snapshot.metadata.index) + 1
        guard e.index == expected else {
            fail("node \(id) applies index \(e.index) but its state machine expects \(expected)")
            return
        }
        let wasMember = nodes[i].sm.membership.allMembers.contains(id)
        let result = nodes[i].sm.apply(e)
        if wasMember && !nodes[i].sm.membership.allMembers.contains(id) { nodes[i].leftGroup = true }
        mix(UInt64(e.index), e.term)
        let revision = nodes[i].sm.revision
        if e.kind == .normal, case .request(_, _, let cmd)? = Command.decode(e.data) {
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
        // Answer the client whose proposal this entry carries, named by its tag: never by the
        // entry's place, which a defect elsewhere could give to another client's write. A proposal
        // whose index now holds another entry cannot commit any more.
        let tag = Command.requestTag(in: e.data)
        for c in clients.indices {
            guard let p = clients[c].proposal, p.node == id else { continue }
            guard let tag, tag.origin == id, tag.sequence == p.sequence else {
                if p.index == e.index { resolveWrite(c, .failed) }
                continue
            }
            switch result {
            case .put(let rev), .compareAndSet(true, let rev):
                resolveWrite(c, .wrote(revision: rev))
                acked.append((e.index, e.term))
            case .deleted(let rev):
                if let rev {
                    resolveWrite(c, .wrote(revision: rev))
                    acked.append((e.index, e.term))
                } else {
                    resolveWrite(c, .observedRevision(point: revision, modRevision: 0))
                }
            case .compareAndSet(false, let rev):
                resolveWrite(c, .observedRevision(point: revision, modRevision: rev))
            default:
                resolveWrite(c, .failed)
            }
        }
    }

    mutating func maybeCompact(_ i: Int) {
        guard let raw = nodes[i].raw else { return }
        let sm = nodes[i].sm
        guard sm.appliedIndex >= raw.log.snapshotIndex + UInt64(nodes[i].compactEvery) else { return }
        do {
            try nodes[i].raw!.compact(upTo: sm.appliedIndex, confState: sm.membership, data: sm.snapshot())
        } catch {
            return
        }
        let snap = nodes[i].raw!.log.snapshot
        nodes[i].disk.snapshot = snap
        nodes[i].disk.entries.removeAll { $0.index <= snap.metadata.index }
        note("n\(nodes[i].id) compacts through \(snap.metadata.index)")
    }

    mutating func crash(_ i: Int, for duration: Int) {
        guard nodes[i].isUp else { return }
        nodes[i].raw = nil
        nodes[i].writing = nil
        nodes[i].readStates = []
        nodes[i].incarnation += 1
        note("n\(nodes[i].id) crashes (down \(duration) ms)")
        events.schedule(.restart(nodes[i].id, incarnation: nodes[i].incarnation), at: now + duration, now: now)
    }

    mutating func restart(_ i: Int) {
        let id = nodes[i].id
        if let v = checker.checkRestart(node: id, durableTerm: nodes[i].disk.hardState.term) { return fail(v) }
        nodes[i].raw = RawNode(config: config(id), state: nodes[i].disk, random: SplitMix64(seed: randomSeed(id, nodes[i].incarnation)))
        let snap = nodes[i].disk.snapshot
        nodes[i].sm = ReplicatedStateMachine.restore(snap.data, membership: snap.metadata.confState)
            ?? ReplicatedStateMachine(membership: snap.metadata.confState)
        nodes[i].checkedCommit = snap.metadata.index
        nodes[i].ledTerm = 0
        note("n\(id) restarts at term \(nodes[i].disk.hardState.term), last index \(nodes[i].raw!.log.lastIndex)")
    }

    /// The live leader with the highest term, if any.
    func currentLeader() -> Int? {
        var best: Int?
        var bestTerm: UInt64 = 0
        for i in nodes.indices where nodes[i].isUp {
            let (leads, term) = nodes[i].withCore { ($0.isLeader, $0.term) }
            if leads && (best == nil || term > bestTerm) {
                best = i
                bestTerm = term
            }
        }
        return best
    }

    // MARK: - Checks

    mutating func checkStep() {
        for node in nodes where node.isUp {
            let (leads, term, committed) = node.withCore { ($0.isLeader, $0.term, $0.log.committed) }
            if leads, let v = checker.checkElection(node: node.id, term: term) { return fail(v) }
            if committed > node.checkedCommit || node.withCore({ $0.safetyFault != nil }) {
                var from = node.checkedCommit
                if let v = node.withCore({ checker.checkCommitted($0, from: &from) }) { return fail(v) }
                node.checkedCommit = from
            }
            if leads { checker.noteActed(node: node.id, term: term, role: "leader") }
            if leads && node.ledTerm != term {
                let raw = node.raw!
                node.ledTerm = raw.term
                note("n\(raw.id) becomes leader of term \(raw.term)")
                if let v = checker.checkLeaderCompleteness(raw) { return fail(v) }
                if !healed && episodes.contains(where: { $0.fault == .isolateLeader && $0.level == 1 }) && chance(90) {
                    // Leader churn: a new leader loses its connectivity (or power) moments after winning.
                    let crash = options.faults.contains(.crash) && chance(40)
                    events.schedule(.cutLeader(raw.id, crash: crash, duration: 30 + random(150)), at: now + 1 + (chance(50) ? random(5) : random(30)), now: now)
                }
            }
        }
        if now % 50 == 0 { checkLogMatching() }
    }

    mutating func checkLogMatching() {
        let up = nodes.indices.filter { nodes[$0].isUp }
        for a in up.indices {
            for b in up.indices where b > a {
                if let v = SafetyChecker.checkLogMatching(nodes[up[a]].raw!, nodes[up[b]].raw!) { return fail(v) }
            }
        }
    }

    mutating func finalChecks() {
        checkLogMatching()
        if violation != nil { return }
        for a in acked {
            let k = Int(a.index)
            if k < checker.committedTerm.count, checker.committedTerm[k] != 0, checker.committedTerm[k] != a.term {
                return fail("acknowledged write at index \(a.index) term \(a.term) was lost")
            }
            if let l = currentLeader(), let t = nodes[l].raw!.log.term(a.index), t != a.term {
                return fail("acknowledged write at index \(a.index) term \(a.term) is not in the leader's log")
            }
        }
        if let v = lin.check(history) { fail("linearizability: \(v)") }
    }
}


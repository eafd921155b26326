import PGRaftNode
import RaftCore
import Testing

/// Machines of a small cluster with a hand-driven network and storage: the test decides when a
/// batch is durable, so the order in which actions leave can be checked.
struct Bench {
    var machines: [NodeID: NodeMachine] = [:]
    var network: [Message] = []
    var inFlight: [NodeID: PersistBatch] = [:]
    var now: Int64 = 0

    init(voters: [NodeID], defects: DriverDefects = []) {
        for id in voters {
            let settings = NodeSettings(
                raft: RaftConfig(id: id), tickMs: 10, requestTimeoutMs: 5_000, snapshotEntries: 1_000_000,
                emptyLog: .found(voters: voters), configuredMembers: voters.map { NodeAddress(id: $0, address: "127.0.0.1:\(7000 + $0)") },
                sequenceBase: 1, randomSeed: id, defects: defects)
            machines[id] = NodeMachine(settings: settings)
        }
    }

    /// Feeds `event` to `id`, queues what it sends and notes what it persists; returns its actions.
    @discardableResult
    mutating func feed(_ id: NodeID, _ event: NodeEvent) -> [NodeAction] {
        let actions = machines[id]!.handle(event, now: now)
        for action in actions {
            switch action {
            case .send(let m): network.append(m)
            case .persist(let b): inFlight[id] = b
            default: break
            }
        }
        return actions
    }

    /// Starts every node from an empty disk, the founding state made durable.
    mutating func boot() {
        for id in machines.keys.sorted() {
            feed(id, .storageConnected)
            feed(id, .loaded(nil))
            fsync(id)
        }
    }

    @discardableResult
    mutating func fsync(_ id: NodeID) -> [NodeAction] {
        guard let b = inFlight.removeValue(forKey: id) else { return [] }
        return feed(id, .persisted(batch: b.id))
    }

    /// Delivers, fsyncs and ticks until a leader is elected and nothing is left to do, with
    /// `holding` nodes' disks left alone.
    mutating func settle(holding: Set<NodeID> = [], ticks: Int = 0) {
        for round in 0..<10_000 {
            let batch = network
            network = []
            for m in batch where machines[m.to] != nil { feed(m.to, .peerMessage(m)) }
            for id in inFlight.keys.sorted() where !holding.contains(id) { fsync(id) }
            if network.isEmpty && inFlight.keys.allSatisfy(holding.contains) {
                if round >= ticks && machines.values.contains(where: { $0.leaderID != nil && $0.leaderID == $0.settings.id }) {
                    return
                }
                now += 10
                for id in machines.keys.sorted() { feed(id, .tick) }
            }
        }
        Issue.record("the cluster did not settle")
    }

    var leader: NodeID { machines.values.first { $0.leaderID == $0.settings.id }!.settings.id }

    /// A booted three-node cluster with a leader.
    static func settled(defects: DriverDefects = []) -> Bench {
        var b = Bench(voters: [1, 2, 3], defects: defects)
        b.boot()
        b.settle()
        return b
    }

    /// Asks the leader to put a key and takes, off the network, the appends carrying the new
    /// entry to one follower (that follower is returned too).
    mutating func proposeAndTakeAppends() -> (follower: NodeID, appends: [Message]) {
        let follower: NodeID = leader == 2 ? 3 : 2
        feed(leader, .request(1, .put(key: "k", value: [1])))
        let appends = network.filter { $0.to == follower && $0.kind == .append && !$0.entries.isEmpty }
        network = []
        return (follower, appends)
    }
}

func sends(_ actions: [NodeAction], _ kind: Message.Kind) -> [Message] {
    actions.compactMap { if case .send(let m) = $0, m.kind == kind { return m } else { return nil } }
}

func persists(_ actions: [NodeAction]) -> [PersistBatch] {
    actions.compactMap { if case .persist(let b) = $0 { return b } else { return nil } }
}

func replies(_ actions: [NodeAction]) -> [NodeReply] {
    actions.compactMap { if case .reply(let r) = $0 { return r } else { return nil } }
}

@Suite("NodeMachine ordering rules")
struct OrderingTests {
    @Test("the founding state is durable before the core runs")
    func foundingBeforeStart() {
        var b = Bench(voters: [1, 2, 3])
        #expect(b.feed(1, .storageConnected).contains { if case .load = $0 { true } else { false } })
        let founding = persists(b.feed(1, .loaded(nil)))
        #expect(founding.count == 1 && founding[0].snapshot != nil && founding[0].hardState != nil)
        #expect(!b.machines[1]!.isRunning)
        for _ in 0..<50 { #expect(b.feed(1, .tick).allSatisfy { if case .send = $0 { false } else { true } }) }
        b.fsync(1)
        #expect(b.machines[1]!.isRunning)
    }

    @Test("a follower acknowledges an append only once its batch is durable")
    func ackAfterFsync() throws {
        var b = Bench.settled()
        let (follower, appends) = b.proposeAndTakeAppends()
        #expect(appends.count == 1)
        let atArrival = b.feed(follower, .peerMessage(try #require(appends.first)))
        #expect(persists(atArrival).count == 1)
        #expect(sends(atArrival, .appendResponse).isEmpty, "acknowledged before the fsync")
        #expect(sends(b.fsync(follower), .appendResponse).count == 1)
    }

    @Test("with ack-before-fsync the acknowledgement leaves with the batch (the defect is real)")
    func ackBeforeFsyncDefect() throws {
        var b = Bench.settled(defects: .ackBeforeFsync)
        let (follower, appends) = b.proposeAndTakeAppends()
        let append = try #require(appends.first)
        #expect(sends(b.feed(follower, .peerMessage(append)), .appendResponse).count == 1)
    }

    @Test("a storage restart in the middle of a batch sends the identical batch again, and acknowledges only after it")
    func storageRestartResends() throws {
        var b = Bench.settled()
        let (follower, appends) = b.proposeAndTakeAppends()
        let append = try #require(appends.first)
        let first = try #require(persists(b.feed(follower, .peerMessage(append))).first)
        #expect(sends(b.feed(follower, .storageDisconnected), .appendResponse).isEmpty)
        let again = b.feed(follower, .storageConnected)
        #expect(persists(again) == [first])
        #expect(sends(again, .appendResponse).isEmpty)
        #expect(sends(b.fsync(follower), .appendResponse).count == 1)
    }

    @Test("a leader's appends leave before its own fsync; the client is answered only once the write is durable and applied")
    func replyOnlyOnApply() throws {
        var b = Bench.settled()
        let leader = b.leader
        let proposed = b.feed(leader, .request(7, .put(key: "k", value: [1])))
        #expect(persists(proposed).count == 1)
        #expect(!sends(proposed, .append).isEmpty, "appends waited for the leader's own fsync")
        #expect(replies(proposed).isEmpty)
        // The followers write and acknowledge; the leader's own disk has not finished, so its
        // next batch (the commit, the apply) waits and nobody is answered yet.
        var answered: [NodeReply] = []
        for _ in 0..<20 {
            let batch = b.network
            b.network = []
            for m in batch { answered += replies(b.feed(m.to, .peerMessage(m))) }
            for id in b.inFlight.keys.sorted() where id != leader { b.fsync(id) }
        }
        #expect(answered.isEmpty, "answered before the leader's batch was durable")
        answered += replies(b.fsync(leader))
        for _ in 0..<20 where answered.isEmpty {
            let batch = b.network
            b.network = []
            for m in batch { answered += replies(b.feed(m.to, .peerMessage(m))) }
            for id in b.inFlight.keys.sorted() { answered += replies(b.fsync(id)) }
        }
        let reply = try #require(answered.first)
        #expect(reply.id == 7 && reply.status == .ok && reply.isCommit)
    }

    @Test("with reply-before-commit the client is answered at the proposal (the defect is real)")
    func replyBeforeCommitDefect() {
        var b = Bench.settled(defects: .replyBeforeCommit)
        #expect(replies(b.feed(b.leader, .request(7, .put(key: "k", value: [1])))).count == 1)
    }

    @Test("heartbeats leave while the leader's disk is slow")
    func heartbeatsDuringSlowDisk() {
        var b = Bench.settled()
        let leader = b.leader
        b.feed(leader, .request(1, .put(key: "k", value: [1])))
        #expect(b.inFlight[leader] != nil)
        b.network = []
        var heartbeats = 0
        for _ in 0..<5 { heartbeats += sends(b.feed(leader, .tick), .heartbeat).count }
        #expect(heartbeats > 0)
    }
}

import PGRaftNode
import RaftCore
import Testing

/// Machines of a small cluster with a hand-driven network and storage: the test decides when a
/// batch is durable, so the order in which actions leave can be checked. The direct tests
/// (``OrderingTests``) and the golden scripts (``NodeScript``) both drive it.
struct Bench {
    var machines: [NodeID: NodeMachine] = [:]
    /// Messages sent and not yet delivered, in the order they were sent.
    var network: [Message] = []
    /// The batch each node has at storage, not yet durable.
    var inFlight: [NodeID: PersistBatch] = [:]
    /// What each node's storage holds durably (absent: an empty disk).
    var disks: [NodeID: PersistentState] = [:]
    /// Every answer to a client, from any node, in order.
    var answers: [NodeReply] = []
    /// The clock (ms), moved only by ticks.
    var now: Int64 = 0
    let tickMs: Int64 = 10

    init(voters: [NodeID], defects: DriverDefects = []) {
        for id in voters {
            let settings = NodeSettings(
                raft: RaftConfig(id: id), tickMs: tickMs, requestTimeoutMs: 5_000, snapshotEntries: 1_000_000,
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
            case .reply(let r): answers.append(r)
            default: break
            }
        }
        return actions
    }

    /// Starts every node from its disk (empty at first: the founding state is made durable).
    mutating func boot() {
        for id in machines.keys.sorted() {
            feed(id, .storageConnected)
            feed(id, .loaded(disks[id]))
            fsync(id)
        }
    }

    /// Writes `id`'s batch at storage to its disk and reports it durable; nothing when no batch
    /// is at storage.
    @discardableResult
    mutating func fsync(_ id: NodeID) -> [NodeAction] {
        guard let b = inFlight.removeValue(forKey: id) else { return [] }
        var disk = disks[id] ?? .joining
        if let snapshot = b.snapshot {
            disk.snapshot = snapshot
            disk.entries.removeAll()
        }
        if let first = b.entries.first?.index {
            disk.entries.removeAll { $0.index >= first }
            disk.entries += b.entries
        }
        if let hs = b.hardState { disk.hardState = hs }
        disks[id] = disk
        return feed(id, .persisted(batch: b.id))
    }

    /// `id`'s storage goes away: the batch it was writing never reaches the disk.
    @discardableResult
    mutating func storageDown(_ id: NodeID) -> [NodeAction] {
        inFlight[id] = nil
        return feed(id, .storageDisconnected)
    }

    /// One tick of the clock for `ids`; returns each node's actions.
    mutating func tick(_ ids: [NodeID]) -> [(NodeID, [NodeAction])] {
        now += tickMs
        return ids.map { ($0, feed($0, .tick)) }
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
                _ = tick(machines.keys.sorted())
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

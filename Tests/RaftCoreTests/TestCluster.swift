import RaftCore

/// A deterministic in-memory cluster for unit tests: instant disks, a message queue the test
/// controls, and per-node durable state for restarts.
struct TestCluster {
    var nodes: [NodeID: RawNode] = [:]
    var disks: [NodeID: PersistentState] = [:]
    var applied: [NodeID: [Entry]] = [:]
    var readStates: [NodeID: [ReadState]] = [:]
    var queue: [Message] = []
    var down: Set<NodeID> = []
    /// Nodes whose disk does not finish writes: a batch is taken and its early messages leave,
    /// but nothing reaches the disk and the core is not told, until ``unstall(_:)``.
    var stalled: Set<NodeID> = []
    /// The batch each stalled node is writing; a restart loses it.
    var writing: [NodeID: Ready] = [:]
    /// Messages for which this returns false are dropped when delivered.
    var filter: (Message) -> Bool = { _ in true }
    var configure: (inout RaftConfig) -> Void

    init(voters: [NodeID], configure: @escaping (inout RaftConfig) -> Void = { _ in }) {
        self.configure = configure
        for id in voters {
            let state = PersistentState.bootstrap(voters: voters)
            disks[id] = state
            start(id, state: state)
        }
    }

    mutating func start(_ id: NodeID, state: PersistentState) {
        var c = RaftConfig(id: id)
        configure(&c)
        nodes[id] = RawNode(config: c, state: state, random: SplitMix64(seed: id &* 7919))
        disks[id] = state
        down.remove(id)
        applied[id, default: []] = []
    }

    /// Restarts `id` from its durable state (anything unpersisted is lost).
    mutating func restart(_ id: NodeID) {
        writing[id] = nil
        start(id, state: disks[id]!)
    }

    /// Lets a stalled disk finish its write, and work normally from then on.
    mutating func unstall(_ id: NodeID) {
        stalled.remove(id)
        if let rd = writing.removeValue(forKey: id), !down.contains(id) { complete(id, rd) }
    }

    subscript(id: NodeID) -> RawNode {
        get { nodes[id]! }
        set { nodes[id] = newValue }
    }

    /// Handles every node's ready batch: persist, send, apply, advance (on a stalled disk, only
    /// the early messages leave).
    mutating func processReady(_ id: NodeID) {
        guard !down.contains(id), writing[id] == nil, var n = nodes[id], n.hasReady else { return }
        let rd = n.ready()
        nodes[id] = n
        queue.append(contentsOf: rd.messages)
        if stalled.contains(id) {
            writing[id] = rd
            return
        }
        complete(id, rd)
    }

    /// The disk finished writing `rd`: acknowledgements leave, entries are applied, the core is told.
    mutating func complete(_ id: NodeID, _ rd: Ready) {
        var n = nodes[id]!
        var disk = disks[id]!
        if let s = rd.snapshot {
            disk.snapshot = s
            disk.entries = []
            applied[id] = []
        }
        if let first = rd.entries.first {
            disk.entries.removeAll { $0.index >= first.index }
            disk.entries.append(contentsOf: rd.entries)
        }
        if let hs = rd.hardState { disk.hardState = hs }
        disks[id] = disk
        queue.append(contentsOf: rd.messagesAfterPersist)
        applied[id, default: []].append(contentsOf: rd.committedEntries)
        readStates[id, default: []].append(contentsOf: rd.readStates)
        n.advance(rd)
        nodes[id] = n
    }

    mutating func processAllReady() {
        for id in nodes.keys.sorted() { processReady(id) }
    }

    /// Delivers the queued messages once (new ones produced meanwhile are queued).
    mutating func deliverOnce() {
        let batch = queue
        queue = []
        for m in batch where !down.contains(m.to) && !down.contains(m.from) && filter(m) {
            nodes[m.to]?.step(m)
        }
    }

    /// Runs ready/deliver rounds until nothing is left to do.
    mutating func stabilize(maxRounds: Int = 1000) {
        for _ in 0..<maxRounds {
            processAllReady()
            if queue.isEmpty && !nodes.keys.contains(where: { !down.contains($0) && nodes[$0]!.hasReady }) { return }
            deliverOnce()
        }
    }

    mutating func tick(_ id: NodeID, times: Int = 1) {
        for _ in 0..<times { nodes[id]!.tick() }
    }

    /// Elects `id` by campaigning and stabilizing.
    mutating func elect(_ id: NodeID) {
        nodes[id]!.campaign()
        stabilize()
    }

    mutating func propose(_ id: NodeID, _ s: String) {
        _ = try? nodes[id]!.propose(Array(s.utf8))
    }

    func leaders() -> [NodeID] { nodes.keys.sorted().filter { !down.contains($0) && nodes[$0]!.isLeader } }

    func appliedData(_ id: NodeID) -> [String] {
        applied[id, default: []].filter { $0.kind == .normal && !$0.data.isEmpty }.map { String(decoding: $0.data, as: UTF8.self) }
    }
}

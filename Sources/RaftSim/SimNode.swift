import RaftCore

/// One simulated server: the core, its disk (what survives a crash) and its state machine.
///
/// A class, so that the checks the simulation runs on every node at every step read it in place
/// instead of copying a whole node (core, log, disk, state machine) each time.
final class SimNode {
    let id: NodeID
    /// The running core; nil while crashed or after removal.
    var raw: RawNode?
    /// The durable state: only what a completed disk write put there.
    var disk: PersistentState
    /// The state machine (rebuilt from the disk's snapshot on restart).
    var sm: ReplicatedStateMachine
    /// The ready batch being written, lost if the node crashes first.
    var writing: Ready?
    /// Bumped by each crash, so a disk completion of an earlier life is ignored.
    var incarnation = 0
    /// Stopped for good (removed from the group).
    var removed = false
    /// Applied a membership change that removed it.
    var leftGroup = false
    /// Compact when this many entries were applied since the last snapshot.
    var compactEvery: Int
    /// Commit index up to which the committed-entries check ran.
    var checkedCommit: UInt64 = 0
    /// The term in which this node was last seen leading (to detect new leaderships).
    var ledTerm: UInt64 = 0
    /// Read states waiting for the state machine to catch up.
    var readStates: [ReadState] = []

    init(id: NodeID, disk: PersistentState, compactEvery: Int) {
        self.id = id
        self.disk = disk
        self.sm = ReplicatedStateMachine.restore(disk.snapshot.data, membership: disk.snapshot.metadata.confState)
            ?? ReplicatedStateMachine(membership: disk.snapshot.metadata.confState)
        self.compactEvery = compactEvery
    }

    /// Reads or changes the running core in place. A plain read of `raw` copies the whole core
    /// (log, progress, queues), which the checks that run on every node at every step cannot
    /// afford.
    func withCore<R>(_ body: (inout RawNode) -> R) -> R {
        body(&raw!)
    }

    /// Running: neither crashed nor removed.
    var isUp: Bool {
        if case .some = raw { return true }
        return false
    }

    /// Makes a completed write durable.
    func persist(_ rd: Ready) {
        if let s = rd.snapshot {
            disk.snapshot = s
            disk.entries = []
        }
        if let first = rd.entries.first {
            if let k = disk.entries.firstIndex(where: { $0.index >= first.index }) {
                disk.entries.removeSubrange(k...)
            }
            disk.entries.append(contentsOf: rd.entries)
        }
        if let hs = rd.hardState { disk.hardState = hs }
    }
}

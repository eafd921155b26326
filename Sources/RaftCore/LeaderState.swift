/// Everything only a leader has: the progress of every member, read requests waiting for
/// confirmation, and a leadership transfer under way.
public struct LeaderState: Sendable {
    /// The replication progress of every member (including the leader itself).
    public var progress: ProgressTracker
    /// The index of the last membership change proposed; no new change is accepted until it is applied.
    public var pendingConfIndex: UInt64
    /// The member leadership is being transferred to; proposals are refused meanwhile.
    public var transferee: NodeID?
    /// Read requests confirmed by heartbeat rounds (§6.4).
    public var readOnly: ReadOnlyQueue = ReadOnlyQueue()
    /// Read requests received before an entry of this term was committed; served once one is.
    public var readsAwaitingCommit: [(context: [UInt8], from: NodeID)] = []

    /// Creates the state of a new leader.
    public init(progress: ProgressTracker, pendingConfIndex: UInt64) {
        self.progress = progress
        self.pendingConfIndex = pendingConfIndex
    }
}

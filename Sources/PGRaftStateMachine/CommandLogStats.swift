import RaftCore

/// Summary of the command log (`pgraft_log_get_stats`).
public struct CommandLogStats: Sendable, Equatable {
    /// Number of records.
    public var count: UInt64
    /// Total payload bytes.
    public var bytes: UInt64
    /// Sequence number of the first record (0 if empty).
    public var firstSequence: UInt64
    /// The last sequence number given to a record, trimmed or not (0 if none ever was).
    public var lastSequence: UInt64
    /// Raft index of the last record (0 if empty).
    public var lastRaftIndex: UInt64

    /// Creates stats.
    public init(count: UInt64, bytes: UInt64, firstSequence: UInt64, lastSequence: UInt64, lastRaftIndex: UInt64) {
        self.count = count
        self.bytes = bytes
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.lastRaftIndex = lastRaftIndex
    }
}

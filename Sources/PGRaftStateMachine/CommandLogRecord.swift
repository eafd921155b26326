import RaftCore

/// One record of the append-only command log (`pgraft_log_append`).
public struct CommandLogRecord: Sendable, Equatable {
    /// The sequence number, from 1.
    public var sequence: UInt64
    /// The Raft index of the entry that appended it.
    public var raftIndex: UInt64
    /// The Raft term of that entry.
    public var raftTerm: UInt64
    /// The payload.
    public var data: [UInt8]

    /// Creates a record.
    public init(sequence: UInt64, raftIndex: UInt64, raftTerm: UInt64, data: [UInt8]) {
        self.sequence = sequence
        self.raftIndex = raftIndex
        self.raftTerm = raftTerm
        self.data = data
    }
}

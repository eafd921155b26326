import RaftCore

/// The PostgreSQL topology recorded in the replicated state machine.
public struct PostgresTopology: Sendable, Equatable {
    /// The node whose PostgreSQL is the primary (0: none yet).
    public var primary: NodeID
    /// The primary's timeline.
    public var timeline: UInt64
    /// The last WAL position (LSN) the primary reported.
    public var lsn: UInt64

    /// Creates a topology record.
    public init(primary: NodeID, timeline: UInt64, lsn: UInt64) {
        self.primary = primary
        self.timeline = timeline
        self.lsn = lsn
    }
}

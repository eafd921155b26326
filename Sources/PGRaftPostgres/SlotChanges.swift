/// What ``PostgresServer/ensureSlots(for:)`` did to the replication slots.
public struct SlotChanges: Sendable, Equatable {
    /// Members whose slot was made.
    public var created: [UInt64] = []
    /// Former members whose slot was dropped.
    public var dropped: [UInt64] = []
    /// Former members whose slot is still in use (a WAL sender streams through it) and was kept:
    /// the next call drops it once that standby has gone.
    public var inUse: [UInt64] = []

    /// Changes with these lists.
    public init(created: [UInt64] = [], dropped: [UInt64] = [], inUse: [UInt64] = []) {
        self.created = created
        self.dropped = dropped
        self.inUse = inUse
    }
}

/// One commit the writer saw acknowledged: the row's id, the node that acknowledged it, when, and
/// how many synchronous standbys that server's `pg_stat_replication` showed right after the commit.
public struct Acknowledgement: Sendable, Equatable {
    /// The id of the row inserted.
    public var id: Int64
    /// The id of the node whose server acknowledged the commit.
    public var node: String
    /// When the acknowledgement reached the writer: milliseconds on the benchmark's monotonic clock.
    public var atMs: Double
    /// Standbys with `sync_state` `sync` or `quorum` in the server's `pg_stat_replication`, read in
    /// the same round trip just after the commit returned. 0 means the commit was acknowledged
    /// with no synchronous standby behind it.
    public var synchronousStandbys: Int

    /// An acknowledgement with these values.
    public init(id: Int64, node: String, atMs: Double, synchronousStandbys: Int) {
        self.id = id
        self.node = node
        self.atMs = atMs
        self.synchronousStandbys = synchronousStandbys
    }
}

extension Sequence<Acknowledgement> {
    /// The ids of these acknowledgements.
    public var ids: IDRanges {
        var ids = IDRanges()
        for acknowledgement in self { ids.insert(acknowledgement.id) }
        return ids
    }
}

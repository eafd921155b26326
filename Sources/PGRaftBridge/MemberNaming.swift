/// How a member's server is named to PostgreSQL: the `application_name` its WAL receiver gives and
/// the physical replication slot the primary keeps for it. One name serves both, so
/// `pg_stat_replication` and `pg_replication_slots` name members the same way.
public enum MemberNaming {
    /// `pgraft_node_<id>`: a valid slot name (lower-case letters, digits, underscores).
    public static func name(of node: UInt64) -> String { "pgraft_node_\(node)" }

    /// The member a name of ``name(of:)`` stands for; nil for any other name.
    public static func node(named name: String) -> UInt64? {
        let prefix = "pgraft_node_"
        guard name.hasPrefix(prefix), let id = UInt64(name.dropFirst(prefix.count)), id > 0, self.name(of: id) == name else { return nil }
        return id
    }
}

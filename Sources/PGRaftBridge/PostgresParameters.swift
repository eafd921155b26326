/// The rules for the operator's PostgreSQL parameters (the YAML's `postgres.parameters`): which
/// names are parameter names, and which parameters pgraft sets itself.
///
/// Here, in the standard-library-only bridge core, so that the configuration reader (PGRaftKit,
/// which every process links) refuses a parameter with the same list `PGRaftPostgres` writes
/// `pgraft.conf` from, without linking libpq.
public enum PostgresParameters {
    /// The parameters pgraft sets itself (from the postgres section, the server's role and the
    /// members), lower-case; the operator's `postgres.parameters` may not name them.
    public static let owned: Set<String> = [
        "listen_addresses", "port", "unix_socket_directories", "wal_level", "hot_standby", "wal_log_hints",
        "synchronous_standby_names", "primary_conninfo", "primary_slot_name", "recovery_target_timeline",
    ]

    /// Whether `name` is a parameter pgraft owns; PostgreSQL's parameter names ignore case.
    public static func isOwned(_ name: String) -> Bool {
        owned.contains(name.lowercased())
    }

    /// Whether `name` can be a parameter name: ASCII letters, digits, `_`, and `.` for a
    /// module's parameters (`auto_explain.log_min_duration`).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }
    }
}

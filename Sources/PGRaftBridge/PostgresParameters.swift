/// The rules for the operator's PostgreSQL parameters (the YAML's `postgres.parameters`): which
/// names are parameter names, and which parameters pgraft sets itself.
///
/// Here, in the standard-library-only bridge core, so that the configuration reader (PGRaftKit,
/// which every process links) refuses a parameter with the same list `PGRaftPostgres` writes
/// `pgraft.conf` from, without linking libpq.
public enum PostgresParameters {
    /// The parameters pgraft sets itself, lower-case, each with what it is set from or why, for the
    /// error that refuses it in `postgres.parameters`.
    public static let ownedReasons: [String: String] = [
        "listen_addresses": "from postgres.listen_address",
        "port": "from postgres.port",
        "unix_socket_directories": "from postgres.socket_dir",
        "wal_level": "replication needs it",
        "hot_standby": "standbys answer reads",
        "wal_log_hints": "pg_rewind needs it",
        "synchronous_standby_names": "from postgres.synchronous and the members",
        "primary_conninfo": "to follow the primary",
        "primary_slot_name": "to follow the primary",
        "recovery_target_timeline": "to follow the primary",
    ]

    /// The parameters pgraft sets itself (from the postgres section, the server's role and the
    /// members), lower-case; the operator's `postgres.parameters` may not name them.
    public static let owned = Set(ownedReasons.keys)

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

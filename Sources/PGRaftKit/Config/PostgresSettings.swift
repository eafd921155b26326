import PGRaftBridge

/// The local PostgreSQL server the bridge manages (the YAML's optional `postgres:` section): where
/// its binaries and data directory are, where it listens and how the other members reach it, who
/// runs it, its roles, the operator's parameters and `pg_hba.conf` lines, and the failover policy.
///
/// The initializer's defaults are the section's: the schema takes them from `PostgresSettings(dataDir:socketDir:)`.
public struct PostgresSettings: Sendable, Equatable {
    /// Absolute directory of `initdb`, `pg_ctl`, `pg_basebackup`, `pg_rewind`, `pg_controldata` and
    /// `postgres` (`bin_dir`, default `/usr/lib/postgresql/15/bin`).
    public var binDir: String
    /// Absolute data directory of the server (`data_dir`, required); apart from the node's `data_dir`.
    public var dataDir: String
    /// The address the server listens on for TCP, one host or IP address, or `*` for all
    /// (`listen_address`, default `127.0.0.1`).
    public var listenAddress: String
    /// The server's TCP port, also the number in its socket's name (`port`, default 5432).
    public var port: Int
    /// Where the other members and clients reach the server (`connect_address`, default
    /// `listen_address:port`): what standbys stream from and what the bridge publishes.
    public var connectAddress: NetworkAddress
    /// Absolute directory of the server's Unix socket, through which the bridge connects
    /// (`socket_dir`, default: the node's `run_dir`).
    public var socketDir: String
    /// The operating-system user that owns the data directory and runs the server and its tools when
    /// pgraftd runs as root (`os_user`, default `postgres`).
    public var osUser: String
    /// The role the bridge connects as over the socket (`superuser`, user default `postgres`).
    public var superuser: PostgresRoleSettings
    /// The role standbys stream and rewind with (`replication`, user default `pgraft_replication`).
    public var replication: PostgresRoleSettings
    /// The operator's server parameters, each value as its text (`parameters`, default none); none
    /// of the parameters pgraft owns (`PostgresParameters.owned`).
    public var parameters: [String: String]
    /// The operator's `pg_hba.conf` lines, placed after the ones pgraft needs (`pg_hba`, default none).
    public var pgHba: [String]
    /// How commits wait for standbys (`synchronous`, default `quorum`).
    public var synchronous: SynchronousMode
    /// With `synchronous: off`, the most bytes a server may be behind and still be promoted
    /// (`maximum_lag_on_failover`, default 1048576).
    public var maximumLagOnFailover: Int
    /// Whether a former primary is rewound with `pg_rewind` rather than cloned anew (`use_pg_rewind`, default true).
    public var usePgRewind: Bool
    /// How long a start, stop or promotion of the server may take, in ms (`start_timeout_ms`, default 30000).
    public var startTimeoutMs: Int

    /// Settings with explicit values and the section's defaults; `connectAddress` nil is
    /// `listenAddress:port`.
    public init(
        binDir: String = "/usr/lib/postgresql/15/bin", dataDir: String, listenAddress: String = "127.0.0.1", port: Int = 5432,
        connectAddress: NetworkAddress? = nil, socketDir: String, osUser: String = "postgres",
        superuser: PostgresRoleSettings = PostgresRoleSettings(user: "postgres"),
        replication: PostgresRoleSettings = PostgresRoleSettings(user: "pgraft_replication"), parameters: [String: String] = [:],
        pgHba: [String] = [], synchronous: SynchronousMode = .quorum, maximumLagOnFailover: Int = 1 << 20, usePgRewind: Bool = true,
        startTimeoutMs: Int = 30_000
    ) {
        self.binDir = binDir
        self.dataDir = dataDir
        self.listenAddress = listenAddress
        self.port = port
        self.connectAddress = connectAddress ?? NetworkAddress(host: listenAddress, port: port)
        self.socketDir = socketDir
        self.osUser = osUser
        self.superuser = superuser
        self.replication = replication
        self.parameters = parameters
        self.pgHba = pgHba
        self.synchronous = synchronous
        self.maximumLagOnFailover = maximumLagOnFailover
        self.usePgRewind = usePgRewind
        self.startTimeoutMs = startTimeoutMs
    }

    /// The server's Unix socket, `<socket_dir>/.s.PGSQL.<port>`.
    public var socketPath: String {
        socketDir + "/.s.PGSQL.\(port)"
    }
}

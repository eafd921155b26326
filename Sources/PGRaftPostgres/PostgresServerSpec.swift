/// What the library needs to know about the local PostgreSQL server it manages: where the
/// binaries and the data directory are, where the server listens, who runs it and with which roles.
///
/// A plain value so the library does not depend on how the YAML is read: `plugins/bridge` fills it
/// from the `postgres:` section. Each property names the YAML setting that errors refer to.
///
/// - Important: The passwords are secrets. The library writes them only to the 0600 passfile in
///   ``privateDirectory`` (see ``Passfile``) and sends the roles' SCRAM verifiers, never the
///   passwords, to the server; they never appear in logs, errors or process arguments.
public struct PostgresServerSpec: Sendable, Equatable {
    /// The directory of `initdb`, `pg_ctl`, `pg_basebackup`, `pg_rewind`, `pg_controldata` and
    /// `postgres` (`postgres.bin_dir`), e.g. `/usr/lib/postgresql/15/bin`.
    public var binDirectory: String
    /// The data directory (`postgres.data_dir`). Its parent must exist and be owned by ``osUser``.
    public var dataDirectory: String
    /// The addresses the server listens on for TCP, PostgreSQL's `listen_addresses`
    /// (`postgres.listen_address`, e.g. `127.0.0.1` or `*`).
    public var listenAddress: String
    /// The TCP port, also the number in the Unix socket's name (`postgres.port`).
    public var port: Int
    /// The directory of the server's Unix socket, through which the library connects
    /// (`postgres.socket_dir`).
    public var socketDirectory: String
    /// The operating-system user that owns the data directory and runs the server and the tools
    /// when the library runs as root (`postgres.os_user`, default `postgres`): `initdb` and
    /// `postgres` refuse to run as root.
    public var osUser: String
    /// The database superuser the library connects as over the Unix socket (`postgres.superuser`).
    public var superuser: String
    /// The superuser's password (`postgres.superuser_password`); nil: the local socket trusts the
    /// superuser and the socket is made accessible to ``osUser`` only.
    public var superuserPassword: String?
    /// The role standbys stream and rewind with (`postgres.replication_user`).
    public var replicationUser: String
    /// The replication role's password (`postgres.replication_password`); nil: the members'
    /// addresses are trusted for that role (only sensible on a private network).
    public var replicationPassword: String?
    /// The operator's server parameters (`postgres.parameters`): they override pgraft's defaults
    /// (such as `max_wal_senders`) but may not set a parameter pgraft owns (see
    /// ``ServerConfiguration/ownedParameters``).
    public var parameters: [String: String]
    /// The operator's `pg_hba.conf` lines (`postgres.pg_hba`), placed after the lines pgraft needs.
    public var hbaLines: [String]
    /// How long a start, stop or promotion may take before it is an error, in ms
    /// (`postgres.start_timeout_ms`).
    public var startTimeoutMs: Int
    /// This node's id: the server's `application_name` and slot name upstream are
    /// `MemberNaming.name(of: nodeID)`.
    public var nodeID: UInt64
    /// A directory the library keeps its own files in (the passfile); it must be traversable by
    /// ``osUser``, whose server reads the passfile when it streams.
    public var privateDirectory: String
    /// The server's log file (`pg_ctl -l`); nil: `<data_dir>.log`, beside the data directory.
    public var serverLogFile: String?
    /// Whether the tools flush what they write to disk (`initdb`, `pg_basebackup`, `pg_rewind`).
    /// Always true in production; tests on throwaway directories turn it off to save time.
    public var syncToDisk: Bool

    /// A spec with the given values and the usual defaults.
    public init(
        binDirectory: String = "/usr/lib/postgresql/15/bin", dataDirectory: String, listenAddress: String = "127.0.0.1",
        port: Int = 5432, socketDirectory: String, osUser: String = "postgres", superuser: String = "postgres",
        superuserPassword: String? = nil, replicationUser: String = "pgraft_replication", replicationPassword: String? = nil,
        parameters: [String: String] = [:], hbaLines: [String] = [], startTimeoutMs: Int = 60_000, nodeID: UInt64,
        privateDirectory: String, serverLogFile: String? = nil, syncToDisk: Bool = true
    ) {
        self.binDirectory = binDirectory
        self.dataDirectory = dataDirectory
        self.listenAddress = listenAddress
        self.port = port
        self.socketDirectory = socketDirectory
        self.osUser = osUser
        self.superuser = superuser
        self.superuserPassword = superuserPassword
        self.replicationUser = replicationUser
        self.replicationPassword = replicationPassword
        self.parameters = parameters
        self.hbaLines = hbaLines
        self.startTimeoutMs = startTimeoutMs
        self.nodeID = nodeID
        self.privateDirectory = privateDirectory
        self.serverLogFile = serverLogFile
        self.syncToDisk = syncToDisk
    }

    /// The server's log file: ``serverLogFile`` or `<data_dir>.log`.
    public var logFile: String { serverLogFile ?? dataDirectory + ".log" }

    /// The passwords, for scrubbing any text that leaves the library.
    var secrets: [String] { [superuserPassword, replicationPassword].compactMap { $0 }.filter { !$0.isEmpty } }
}

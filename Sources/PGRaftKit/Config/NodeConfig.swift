import Foundation

/// A node's complete configuration, read from its YAML file with every default filled in and
/// every path absolute.
///
/// The supervisor and every component load the same file (the supervisor hands components its
/// `effectiveYAML()`), so all processes of a node agree on every setting. Loading validates
/// everything up front and reports all problems with their line and column: a bad file starts nothing.
public struct NodeConfig: Sendable, Equatable {
    /// The cluster's name (1–63 characters of `[A-Za-z0-9_.-]`); peers of another cluster are refused.
    public var clusterName: String
    /// This node's id (1 … 2^31-1), unique in the cluster.
    public var nodeId: Int
    /// Address the transport listens on for peers (`listen_address`, default `127.0.0.1`).
    public var listenAddress: String
    /// TCP port the transport listens on for peers (`listen_port`, 1–65535).
    public var listenPort: Int
    /// Time after which an unresponsive peer connection is dropped, in ms (`peer_timeout`, default 2000).
    public var peerTimeout: Int
    /// Interval between the leader's heartbeats, in ms (`heartbeat_interval`, default 100).
    public var heartbeatInterval: Int
    /// Time without a leader's heartbeat before a follower starts an election, in ms
    /// (`election_timeout`, default 1000, at least twice the heartbeat interval).
    public var electionTimeout: Int
    /// The file of the key every node shares, with which peers prove at the handshake that they
    /// belong to the cluster (`cluster_secret_file`, absolute; nil: none). See `ClusterSecret`.
    public var clusterSecretFile: String?
    /// TLS on the peer port, with mutual authentication (`tls:`; nil: plain TCP). See `TLSFiles`.
    public var tls: TLSFiles?
    /// Whether a `listen_address` that other hosts can reach may go without peer authentication
    /// (`allow_unauthenticated_peers`, default false: such a configuration is refused).
    public var allowUnauthenticatedPeers: Bool
    /// Most log entries the leader sends in one replication message (`max_log_entries`, default 1000).
    public var maxLogEntries: Int
    /// Whether components log at debug level (`debug_enabled`, default false).
    public var debugEnabled: Bool
    /// How often each component bumps its heartbeat in the segment, in ms (`health_period_ms`, default 500).
    public var healthPeriodMs: Int
    /// With an empty `data_dir`: found the cluster from `members`, or join a running one
    /// (`initial_cluster_state`, `new` or `existing`, default `new`).
    public var initialClusterState: InitialClusterState
    /// The initial voting members, including this node (`members`, default: this node alone).
    public var members: [Member]
    /// Absolute directory of the durable Raft log, hard state and snapshots (`data_dir`).
    public var dataDir: String
    /// Absolute directory of the node's Unix sockets, lock and effective configuration (`run_dir`).
    public var runDir: String
    /// Absolute directory of the components' log files (`log_dir`).
    public var logDir: String
    /// Rotation of the log files (`log:`).
    public var log: LogSettings
    /// Where the HTTP API listens (`api:`).
    public var api: APISettings
    /// The local PostgreSQL server the bridge manages; nil when the node runs without one (`postgres:` absent).
    public var postgres: PostgresSettings?
    /// Restart policy and timeouts of the supervisor (`supervisor:`).
    public var supervisor: SupervisorSettings
    /// All components, built-ins first in start order, then operator components in file order,
    /// including disabled ones (`components:`).
    public var components: [ComponentSpec]
    /// Absolute path of the file this configuration was loaded from; "" when parsed from a string.
    /// It is not a setting, so `==` ignores it.
    public var path: String

    /// A configuration with explicit values; `parse` and `load` are the usual ways to get one.
    public init(
        clusterName: String, nodeId: Int, listenAddress: String, listenPort: Int, peerTimeout: Int,
        heartbeatInterval: Int, electionTimeout: Int, maxLogEntries: Int, debugEnabled: Bool,
        healthPeriodMs: Int, initialClusterState: InitialClusterState = .new, members: [Member], dataDir: String, runDir: String, logDir: String,
        log: LogSettings, api: APISettings, postgres: PostgresSettings?, supervisor: SupervisorSettings,
        components: [ComponentSpec], path: String, clusterSecretFile: String? = nil, allowUnauthenticatedPeers: Bool = false,
        tls: TLSFiles? = nil
    ) {
        self.tls = tls
        self.clusterSecretFile = clusterSecretFile
        self.allowUnauthenticatedPeers = allowUnauthenticatedPeers
        self.clusterName = clusterName
        self.nodeId = nodeId
        self.listenAddress = listenAddress
        self.listenPort = listenPort
        self.peerTimeout = peerTimeout
        self.heartbeatInterval = heartbeatInterval
        self.electionTimeout = electionTimeout
        self.maxLogEntries = maxLogEntries
        self.debugEnabled = debugEnabled
        self.healthPeriodMs = healthPeriodMs
        self.initialClusterState = initialClusterState
        self.members = members
        self.dataDir = dataDir
        self.runDir = runDir
        self.logDir = logDir
        self.log = log
        self.api = api
        self.postgres = postgres
        self.supervisor = supervisor
        self.components = components
        self.path = path
    }

    /// Two configurations are equal when all their settings are, wherever they were read from.
    public static func == (lhs: NodeConfig, rhs: NodeConfig) -> Bool {
        var left = lhs
        left.path = rhs.path
        return left.isEqualIncludingPath(rhs)
    }

    private func isEqualIncludingPath(_ other: NodeConfig) -> Bool {
        clusterName == other.clusterName && nodeId == other.nodeId && listenAddress == other.listenAddress
            && listenPort == other.listenPort && peerTimeout == other.peerTimeout
            && clusterSecretFile == other.clusterSecretFile && allowUnauthenticatedPeers == other.allowUnauthenticatedPeers
            && tls == other.tls
            && heartbeatInterval == other.heartbeatInterval && electionTimeout == other.electionTimeout
            && maxLogEntries == other.maxLogEntries && debugEnabled == other.debugEnabled
            && healthPeriodMs == other.healthPeriodMs && initialClusterState == other.initialClusterState
            && members == other.members && dataDir == other.dataDir
            && runDir == other.runDir && logDir == other.logDir && log == other.log && api == other.api
            && postgres == other.postgres && supervisor == other.supervisor && components == other.components
            && path == other.path
    }

    /// The components the supervisor runs, in start order.
    public var enabledComponents: [ComponentSpec] {
        components.filter(\.enabled)
    }

    /// The component named `name`, enabled or not.
    public func component(named name: String) -> ComponentSpec? {
        components.first { $0.name == name }
    }

    /// The POSIX shared-memory name of this node's segment, `/pgraft.<cluster_name>.<node_id>`:
    /// unique per node so several nodes can run on one machine.
    public var segmentName: String {
        "/pgraft.\(clusterName).\(nodeId)"
    }

    /// The supervisor's control socket, `<run_dir>/pgraftd.sock`, used by `pgraftctl`.
    public var controlSocketPath: String {
        runDir + "/pgraftd.sock"
    }

    /// The consensus component's socket, `<run_dir>/consensus.sock`, for transport, storage and bridge.
    public var consensusSocketPath: String {
        runDir + "/consensus.sock"
    }

    /// The log file of `component` (or of `pgraftd` itself): `<log_dir>/<component>.log`.
    public func logFilePath(component: String) -> String {
        logDir + "/" + component + ".log"
    }
}

extension NodeConfig {
    /// What is wrong with `name` as a `cluster_name`, or nil: for tools that take one as an argument.
    public static func clusterNameProblem(_ name: String) -> String? {
        ConfigSyntax.clusterNameProblem(name)
    }
}

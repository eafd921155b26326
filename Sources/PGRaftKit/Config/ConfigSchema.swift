import Foundation
import PGRaftBridge

/// The configuration's settings and limits in one place, in the order the effective YAML lists them.
///
/// A new setting is one row in `groups` (with its field in `NodeConfig` or a section's type): the
/// reader, the unknown-key check and its suggestions, the effective YAML, the reload fingerprints
/// and the identity check are derived from it. `readers` must say what actually reads the value:
/// `ReloadPlanTests` checks each row against the plugins' sources.
enum ConfigSchema {
    static let groups: [ConfigSettingGroup] = [
        ConfigSettingGroup(section: nil, settings: [
            .string("cluster_name", \.clusterName, default: nil, validate: ConfigSyntax.clusterNameProblem, readers: .identity),
            .int("node_id", \.nodeId, default: nil, range: nodeIdRange, readers: .identity),
            .string("listen_address", \.listenAddress, default: "127.0.0.1", validate: ConfigSyntax.hostProblem, readers: .components(["transport"])),
            .int("listen_port", \.listenPort, default: nil, range: portRange, readers: .components(["transport"])),
            .int("peer_timeout", \.peerTimeout, default: 2000, range: 1...600_000, readers: .components(["transport"])),
            .optionalFile("cluster_secret_file", \.clusterSecretFile, readers: .components(["transport"])),
            .tls("tls", \.tls, caRequired: true, readers: .components(["transport"])),
            // Checked when the file is read (ConfigReader.crossCheck); no component acts on it.
            .bool("allow_unauthenticated_peers", \.allowUnauthenticatedPeers, default: false, readers: .supervisor),
            .int("heartbeat_interval", \.heartbeatInterval, default: 100, range: 1...60_000, readers: .components(["consensus", "bridge"])),
            .int("election_timeout", \.electionTimeout, default: 1000, range: 1...600_000, readers: .components(["consensus", "bridge"])),
            .int("max_log_entries", \.maxLogEntries, default: 1000, range: atLeastOne, readers: .components(["consensus"])),
            .bool("debug_enabled", \.debugEnabled, default: false, readers: .everyComponent),
            .int("health_period_ms", \.healthPeriodMs, default: 500, range: 10...60_000, readers: .everyComponent),
            .choice("initial_cluster_state", \.initialClusterState, default: InitialClusterState.new, readers: .components(["consensus"])),
            .members,
            .directory("data_dir", \.dataDir, readers: .components(["storage"])),
            .directory("run_dir", \.runDir, readers: .identity),
            // pgraftd writes the log files; the api shows their paths (GET /v1/node).
            .directory("log_dir", \.logDir, readers: .components(["api"])),
        ]),
        ConfigSettingGroup(section: "log", settings: [
            .int("max_bytes", \.log.maxBytes, default: LogSettings.defaults.maxBytes, range: 4096...Int.max, readers: .supervisor),
            .int("keep", \.log.keep, default: LogSettings.defaults.keep, range: 1...100, readers: .supervisor),
        ]),
        ConfigSettingGroup(section: "api", settings: [
            .string("listen_address", \.api.listenAddress, default: APISettings.defaults.listenAddress, validate: ConfigSyntax.hostProblem, readers: .components(["api"])),
            .int("listen_port", \.api.listenPort, default: APISettings.defaults.listenPort, range: portRange, readers: .components(["api"])),
            .int("max_value_bytes", \.api.maxValueBytes, default: APISettings.defaults.maxValueBytes, range: 1...(8 << 20), readers: .components(["api"])),
            .optionalFile("token_file", \.api.tokenFile, readers: .components(["api"])),
            .choice("auth", \.api.auth, default: APISettings.defaults.auth, readers: .components(["api"])),
            .tls("tls", \.api.tls, caRequired: false, readers: .components(["api"])),
            // Checked when the file is read (ConfigReader.crossCheck); no component acts on it.
            .bool("allow_unauthenticated", \.api.allowUnauthenticated, default: false, readers: .supervisor),
        ]),
        ConfigSettingGroup(
            section: "postgres",
            // Read in this order: connect_address defaults from listen_address and port above it.
            settings: [
                .directory("bin_dir", \.postgres!.binDir, default: postgresDefaults.binDir, readers: bridge),
                .directory("data_dir", \.postgres!.dataDir, readers: bridge),
                .string("listen_address", \.postgres!.listenAddress, default: postgresDefaults.listenAddress, validate: ConfigSyntax.postgresListenProblem, readers: bridge),
                .int("port", \.postgres!.port, default: postgresDefaults.port, range: portRange, readers: bridge),
                .postgresConnectAddress,
                .postgresSocketDir,
                .string("os_user", \.postgres!.osUser, default: postgresDefaults.osUser, validate: ConfigSyntax.osUserProblem, readers: bridge),
                .postgresRole("superuser", \.postgres!.superuser, defaultUser: postgresDefaults.superuser.user),
                .postgresRole("replication", \.postgres!.replication, defaultUser: postgresDefaults.replication.user),
                .postgresParameters,
                .postgresHba,
                .choice("synchronous", \.postgres!.synchronous, default: postgresDefaults.synchronous, readers: bridge),
                .int("maximum_lag_on_failover", \.postgres!.maximumLagOnFailover, default: postgresDefaults.maximumLagOnFailover, range: 0...Int.max, readers: bridge),
                .bool("use_pg_rewind", \.postgres!.usePgRewind, default: postgresDefaults.usePgRewind, readers: bridge),
                .int("start_timeout_ms", \.postgres!.startTimeoutMs, default: postgresDefaults.startTimeoutMs, range: longMsRange, readers: bridge),
            ],
            absence: ConfigSettingGroup.Absence(
                isPresent: { $0.postgres != nil }, makePresent: { $0.postgres = postgresDefaults },
                note: "postgres: absent, this node runs without PostgreSQL")),
        ConfigSettingGroup(section: "supervisor", settings: [
            .int("start_timeout_ms", \.supervisor.startTimeoutMs, default: SupervisorSettings.defaults.startTimeoutMs, range: longMsRange, readers: .supervisor),
            .int("stop_timeout_ms", \.supervisor.stopTimeoutMs, default: SupervisorSettings.defaults.stopTimeoutMs, range: longMsRange, readers: .supervisor),
            .int("heartbeat_misses", \.supervisor.heartbeatMisses, default: SupervisorSettings.defaults.heartbeatMisses, range: 1...1000, readers: .supervisor),
            .int("restart_intensity", \.supervisor.restartIntensity, default: SupervisorSettings.defaults.restartIntensity, range: atLeastOne, readers: .supervisor),
            .int("restart_period_s", \.supervisor.restartPeriodS, default: SupervisorSettings.defaults.restartPeriodS, range: 1...86_400, readers: .supervisor),
            .int("backoff_initial_ms", \.supervisor.backoffInitialMs, default: SupervisorSettings.defaults.backoffInitialMs, range: longMsRange, readers: .supervisor),
            .int("backoff_max_ms", \.supervisor.backoffMaxMs, default: SupervisorSettings.defaults.backoffMaxMs, range: longMsRange, readers: .supervisor),
            .int("backoff_reset_ms", \.supervisor.backoffResetMs, default: SupervisorSettings.defaults.backoffResetMs, range: longMsRange, readers: .supervisor),
        ]),
        ConfigSettingGroup(section: nil, settings: [.components]),
    ]

    /// Every setting with its dotted key (`api.listen_port`), in table order.
    static let settings: [(key: String, setting: ConfigSetting)] = groups.flatMap { group in
        Array(zip(group.keys, group.settings))
    }

    /// The keys of the top level: its settings and its sections, in table order.
    static let topLevelKeys: [String] = groups.flatMap { group in group.section.map { [$0] } ?? group.settings.map(\.key) }

    static let memberKeys = ["id", "address"]
    static let componentKeys = [
        "enabled", "command", "args", "env", "restart", "readiness", "watchdog", "stop_timeout_ms",
    ]

    static let nodeIdRange = 1...Int(Int32.max)
    static let portRange = 1...65535
    /// Longest Unix socket path (`sun_path` is 108 bytes including the terminating NUL).
    static let maxSocketPathBytes = 107
    /// Limit of the supervisor's and the bridge's millisecond settings: one hour.
    static let longMsRange = 1...3_600_000
    static let atLeastOne = 1...Int.max

    /// The postgres section's defaults, as its initializer declares them (`data_dir` is required,
    /// `socket_dir` defaults to `run_dir`, `connect_address` to `listen_address:port`: their readers say so).
    private static let postgresDefaults = PostgresSettings(dataDir: "", socketDir: "")

    /// Every postgres setting is the bridge's.
    static let bridge = ConfigReaders.components(["bridge"])
}

/// Settings that the YAML writes together: the top-level ones between two sections, or one
/// section's (`log:`, `api:`, …).
struct ConfigSettingGroup: Sendable {
    /// How an optional section (`postgres:`) is absent: a section without one means its defaults when absent.
    struct Absence: Sendable {
        /// Whether the configuration has the section.
        let isPresent: @Sendable (NodeConfig) -> Bool
        /// Gives the configuration the section, with its defaults, for the file's values to be read into.
        let makePresent: @Sendable (inout NodeConfig) -> Void
        /// The comment the effective YAML writes in the absent section's place.
        let note: String
    }

    /// The section's key; nil for settings of the top level.
    let section: String?
    let settings: [ConfigSetting]
    var absence: Absence? = nil

    /// The settings' dotted keys (`api.listen_port`).
    var keys: [String] {
        settings.map { setting in section.map { $0 + "." + setting.key } ?? setting.key }
    }
}

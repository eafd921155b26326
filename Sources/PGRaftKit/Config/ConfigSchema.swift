/// The configuration's keys and limits in one place, in the order the effective YAML lists them.
enum ConfigSchema {
    static let topLevelKeys = [
        "cluster_name", "node_id", "listen_address", "listen_port", "peer_timeout", "heartbeat_interval",
        "election_timeout", "max_log_entries", "debug_enabled", "health_period_ms", "initial_cluster_state", "members", "data_dir",
        "run_dir", "log_dir", "log", "api", "postgres", "supervisor", "components",
    ]
    static let memberKeys = ["id", "address"]
    static let logKeys = ["max_bytes", "keep"]
    static let apiKeys = ["listen_address", "listen_port", "max_value_bytes"]
    static let postgresKeys = ["conninfo", "reconnect_initial_ms", "reconnect_max_ms"]
    static let supervisorKeys = [
        "start_timeout_ms", "stop_timeout_ms", "heartbeat_misses", "restart_intensity", "restart_period_s",
        "backoff_initial_ms", "backoff_max_ms", "backoff_reset_ms",
    ]
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
}

extension NodeConfig {
    /// A stable text of exactly the settings `component` depends on; when it differs between the old
    /// and the new configuration on reload, the supervisor restarts that component (and only those).
    ///
    /// Every component depends on `debug_enabled`, `health_period_ms` and its own `components:` entry;
    /// storage also on `data_dir`; consensus on the Raft timings, `max_log_entries`, `initial_cluster_state`, `members`,
    /// `data_dir` and `peer_timeout`; transport on its listen address and port, `peer_timeout` and
    /// `members`; bridge on the `postgres` section; api on the `api` section.
    public func settingsFingerprint(for component: String) -> String {
        var out = ConfigYAMLWriter()
        out.bool("debug_enabled", debugEnabled)
        out.int("health_period_ms", healthPeriodMs)
        switch component {
        case "storage":
            out.string("data_dir", dataDir)
        case "consensus":
            out.int("heartbeat_interval", heartbeatInterval)
            out.int("election_timeout", electionTimeout)
            out.int("max_log_entries", maxLogEntries)
            out.string("initial_cluster_state", initialClusterState.rawValue)
            out.raw("members", membersText)
            out.string("data_dir", dataDir)
            out.int("peer_timeout", peerTimeout)
        case "transport":
            out.string("listen_address", listenAddress)
            out.int("listen_port", listenPort)
            out.int("peer_timeout", peerTimeout)
            out.raw("members", membersText)
        case "bridge":
            if let postgres {
                out.string("postgres.conninfo", postgres.conninfo)
                out.int("postgres.reconnect_initial_ms", postgres.reconnectInitialMs)
                out.int("postgres.reconnect_max_ms", postgres.reconnectMaxMs)
            } else {
                out.raw("postgres", "null")
            }
        case "api":
            out.string("api.listen_address", api.listenAddress)
            out.int("api.listen_port", api.listenPort)
            out.int("api.max_value_bytes", api.maxValueBytes)
        default:
            break
        }
        if let spec = self.component(named: component) {
            out.section("component") { spec.write(to: &$0) }
        } else {
            out.raw("component", "null")
        }
        return out.text
    }

    private var membersText: String {
        "[" + members.map { "\($0.id)=\($0.address)" }.joined(separator: ", ") + "]"
    }
}

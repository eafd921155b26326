extension NodeConfig {
    /// The complete configuration as YAML: every key with its value, defaults filled in, paths
    /// absolute, all five built-in components listed. It parses back to an equal `NodeConfig`.
    ///
    /// The supervisor hands this to its components (so they never disagree with it about a default)
    /// and shows it to operators (`pgraftctl config`).
    public func effectiveYAML() -> String {
        var out = ConfigYAMLWriter()
        out.comment("Effective pgraft configuration: every default filled in, every path absolute.")
        if !path.isEmpty { out.comment("Read from \(ConfigYAMLWriter.quoted(path))") }
        out.string("cluster_name", clusterName)
        out.int("node_id", nodeId)
        out.string("listen_address", listenAddress)
        out.int("listen_port", listenPort)
        out.int("peer_timeout", peerTimeout)
        out.int("heartbeat_interval", heartbeatInterval)
        out.int("election_timeout", electionTimeout)
        out.int("max_log_entries", maxLogEntries)
        out.bool("debug_enabled", debugEnabled)
        out.int("health_period_ms", healthPeriodMs)
        out.string("initial_cluster_state", initialClusterState.rawValue)
        out.section("members") { out in
            for member in members {
                out.item { item in
                    item.int("id", member.id)
                    item.string("address", member.address)
                }
            }
        }
        out.string("data_dir", dataDir)
        out.string("run_dir", runDir)
        out.string("log_dir", logDir)
        out.section("log") { out in
            out.int("max_bytes", log.maxBytes)
            out.int("keep", log.keep)
        }
        out.section("api") { out in
            out.string("listen_address", api.listenAddress)
            out.int("listen_port", api.listenPort)
            out.int("max_value_bytes", api.maxValueBytes)
        }
        if let postgres {
            out.section("postgres") { out in
                out.string("conninfo", postgres.conninfo)
                out.int("reconnect_initial_ms", postgres.reconnectInitialMs)
                out.int("reconnect_max_ms", postgres.reconnectMaxMs)
            }
        } else {
            out.comment("postgres: absent, this node runs without PostgreSQL")
        }
        out.section("supervisor") { out in
            out.int("start_timeout_ms", supervisor.startTimeoutMs)
            out.int("stop_timeout_ms", supervisor.stopTimeoutMs)
            out.int("heartbeat_misses", supervisor.heartbeatMisses)
            out.int("restart_intensity", supervisor.restartIntensity)
            out.int("restart_period_s", supervisor.restartPeriodS)
            out.int("backoff_initial_ms", supervisor.backoffInitialMs)
            out.int("backoff_max_ms", supervisor.backoffMaxMs)
            out.int("backoff_reset_ms", supervisor.backoffResetMs)
        }
        out.section("components") { out in
            for component in components {
                out.section(ConfigYAMLWriter.quoted(component.name)) { out in
                    component.write(to: &out)
                }
            }
        }
        return out.text
    }
}

extension ComponentSpec {
    /// Writes every setting of the component, as in its `components:` entry.
    func write(to out: inout ConfigYAMLWriter) {
        out.bool("enabled", enabled)
        if let command {
            out.string("command", command)
        } else {
            out.comment("command: pgraft-\(name) next to pgraftd")
        }
        out.raw("args", ConfigYAMLWriter.quotedList(args))
        if env.isEmpty {
            out.raw("env", "{}")
        } else {
            out.section("env") { out in
                for key in env.keys.sorted() {
                    out.string(ConfigYAMLWriter.quoted(key), env[key]!)
                }
            }
        }
        out.raw("restart", restart.rawValue)
        out.raw("readiness", readiness.rawValue)
        out.bool("watchdog", watchdog)
        out.int("stop_timeout_ms", stopTimeoutMs)
    }
}

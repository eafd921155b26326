import Foundation

extension ConfigReader {
    /// Reads the whole configuration from the document's root node; nil when anything is wrong
    /// (every problem is then in `errors`).
    mutating func readNodeConfig(_ root: YAMLNode, sourcePath: String) -> NodeConfig? {
        let top = ConfigPosition(line: 1, column: 1)
        if case .mapping = root.content {} else {
            error(root.position, "the top level must be a mapping of settings (key: value), got \(ConfigValueKind(root).description)")
            return nil
        }
        guard let map = ConfigMapping(root, path: "", anchor: top, knownKeys: ConfigSchema.topLevelKeys, reader: &self)
        else { return nil }

        let clusterName = string("cluster_name", in: map, default: nil, validate: ConfigSyntax.clusterNameProblem)
        let nodeId = int("node_id", in: map, default: nil, range: ConfigSchema.nodeIdRange)
        let listenAddress = string("listen_address", in: map, default: "127.0.0.1", validate: ConfigSyntax.hostProblem)
        let listenPort = int("listen_port", in: map, default: nil, range: ConfigSchema.portRange)
        let peerTimeout = int("peer_timeout", in: map, default: 2000, range: 1...600_000)
        let heartbeat = int("heartbeat_interval", in: map, default: 100, range: 1...60_000)
        var election = int("election_timeout", in: map, default: 1000, range: 1...600_000)
        let maxLogEntries = int("max_log_entries", in: map, default: 1000, range: ConfigSchema.atLeastOne)
        let debugEnabled = bool("debug_enabled", in: map, default: false)
        let healthPeriod = int("health_period_ms", in: map, default: 500, range: 10...60_000)
        let clusterState = choice("initial_cluster_state", in: map, default: InitialClusterState.new)
        let dataDir = path("data_dir", in: map)
        var runDir = path("run_dir", in: map)
        let logDir = path("log_dir", in: map)
        let log = readLog(map)
        let apiRead = readAPI(map)
        var api = apiRead?.settings
        let postgres = readPostgres(map)
        let supervisor = readSupervisor(map)
        let members = readMembers(map, nodeId: nodeId, listenAddress: listenAddress, listenPort: listenPort)
        let components = readComponents(map, defaultStopTimeoutMs: supervisor?.stopTimeoutMs ?? 5000)

        if let heartbeat, let current = election, current < 2 * heartbeat {
            let given = map.value("election_timeout") != nil
            let at = given ? map.mark("election_timeout") : map.mark("heartbeat_interval")
            error(at, "election_timeout: \(current)\(given ? "" : " (the default)") must be at least 2 × heartbeat_interval (\(heartbeat)) = \(2 * heartbeat)")
            election = nil
        }
        if let directory = runDir {
            let socket = directory + "/consensus.sock"
            if socket.utf8.count > ConfigSchema.maxSocketPathBytes {
                error(map.mark("run_dir"), "run_dir: \(ConfigYAMLWriter.quoted(directory)) is too long: the socket path \(ConfigYAMLWriter.quoted(socket)) is \(socket.utf8.count) bytes, a Unix socket path allows at most \(ConfigSchema.maxSocketPathBytes)")
                runDir = nil
            }
        }
        if let settings = api, let listenAddress, let listenPort, settings.listenPort == listenPort,
            ConfigReader.addressesOverlap(settings.listenAddress, listenAddress)
        {
            let at = apiRead?.portMark ?? map.mark("listen_port")
            error(at, "api.listen_port: \(listenPort) is also listen_port on \(settings.listenAddress); the peer listener and the HTTP API need different ports")
            api = nil
        }

        guard errors.isEmpty, let clusterName, let nodeId, let listenAddress, let listenPort, let peerTimeout,
            let heartbeat, let election, let maxLogEntries, let debugEnabled, let healthPeriod, let clusterState, let members,
            let dataDir, let runDir, let logDir, let log, let api, let postgres, let supervisor, let components
        else { return nil }
        return NodeConfig(
            clusterName: clusterName, nodeId: nodeId, listenAddress: listenAddress, listenPort: listenPort,
            peerTimeout: peerTimeout, heartbeatInterval: heartbeat, electionTimeout: election,
            maxLogEntries: maxLogEntries, debugEnabled: debugEnabled, healthPeriodMs: healthPeriod,
            initialClusterState: clusterState, members: members, dataDir: dataDir, runDir: runDir, logDir: logDir, log: log, api: api,
            postgres: postgres.settings, supervisor: supervisor, components: components, path: sourcePath)
    }

    /// Whether listeners on `lhs` and `rhs` collide for the same port (equal, or either a wildcard).
    static func addressesOverlap(_ lhs: String, _ rhs: String) -> Bool {
        let wildcards: Set<String> = ["0.0.0.0", "::", "*"]
        return lhs == rhs || wildcards.contains(lhs) || wildcards.contains(rhs)
    }

    private mutating func readLog(_ map: ConfigMapping) -> LogSettings? {
        guard let section = section("log", in: map, knownKeys: ConfigSchema.logKeys) else { return nil }
        let defaults = LogSettings.defaults
        let maxBytes = int("max_bytes", in: section, default: defaults.maxBytes, range: 4096...Int.max)
        let keep = int("keep", in: section, default: defaults.keep, range: 1...100)
        guard let maxBytes, let keep else { return nil }
        return LogSettings(maxBytes: maxBytes, keep: keep)
    }

    /// The `api` section, and where its `listen_port` is written (nil when defaulted).
    private mutating func readAPI(_ map: ConfigMapping) -> (settings: APISettings, portMark: ConfigPosition?)? {
        guard let section = section("api", in: map, knownKeys: ConfigSchema.apiKeys) else { return nil }
        let defaults = APISettings.defaults
        let address = string("listen_address", in: section, default: defaults.listenAddress, validate: ConfigSyntax.hostProblem)
        let port = int("listen_port", in: section, default: defaults.listenPort, range: ConfigSchema.portRange)
        let maxValue = int("max_value_bytes", in: section, default: defaults.maxValueBytes, range: 1...(8 << 20))
        guard let address, let port, let maxValue else { return nil }
        let portMark = section.value("listen_port") != nil ? section.mark("listen_port") : nil
        return (APISettings(listenAddress: address, listenPort: port, maxValueBytes: maxValue), portMark)
    }

    /// The `postgres` section: nil on error, `.some(nil)` when absent.
    private mutating func readPostgres(_ map: ConfigMapping) -> PostgresSection? {
        guard map.entry("postgres") != nil else { return PostgresSection(settings: nil) }
        guard let section = section("postgres", in: map, knownKeys: ConfigSchema.postgresKeys) else { return nil }
        let conninfo = string("conninfo", in: section, default: nil) { text in
            text.trimmingCharacters(in: .whitespaces).isEmpty ? "expected a libpq connection string, got an empty string" : nil
        }
        let initial = int("reconnect_initial_ms", in: section, default: 100, range: ConfigSchema.longMsRange)
        var maximum = int("reconnect_max_ms", in: section, default: 5000, range: ConfigSchema.longMsRange)
        if let initial, let current = maximum, current < initial {
            let at = section.value("reconnect_max_ms") != nil ? section.mark("reconnect_max_ms") : section.mark("reconnect_initial_ms")
            error(at, "postgres.reconnect_max_ms: \(current) must be at least reconnect_initial_ms (\(initial))")
            maximum = nil
        }
        guard let conninfo, let initial, let maximum else { return nil }
        return PostgresSection(settings: PostgresSettings(conninfo: conninfo, reconnectInitialMs: initial, reconnectMaxMs: maximum))
    }

    /// A read `postgres` section, which may be absent.
    struct PostgresSection {
        let settings: PostgresSettings?
    }

    private mutating func readSupervisor(_ map: ConfigMapping) -> SupervisorSettings? {
        guard let section = section("supervisor", in: map, knownKeys: ConfigSchema.supervisorKeys) else { return nil }
        let defaults = SupervisorSettings.defaults
        let ms = ConfigSchema.longMsRange
        let start = int("start_timeout_ms", in: section, default: defaults.startTimeoutMs, range: ms)
        let stop = int("stop_timeout_ms", in: section, default: defaults.stopTimeoutMs, range: ms)
        let misses = int("heartbeat_misses", in: section, default: defaults.heartbeatMisses, range: 1...1000)
        let intensity = int("restart_intensity", in: section, default: defaults.restartIntensity, range: ConfigSchema.atLeastOne)
        let period = int("restart_period_s", in: section, default: defaults.restartPeriodS, range: 1...86_400)
        let initial = int("backoff_initial_ms", in: section, default: defaults.backoffInitialMs, range: ms)
        var maximum = int("backoff_max_ms", in: section, default: defaults.backoffMaxMs, range: ms)
        let reset = int("backoff_reset_ms", in: section, default: defaults.backoffResetMs, range: ms)
        if let initial, let current = maximum, current < initial {
            let at = section.value("backoff_max_ms") != nil ? section.mark("backoff_max_ms") : section.mark("backoff_initial_ms")
            error(at, "supervisor.backoff_max_ms: \(current) must be at least backoff_initial_ms (\(initial))")
            maximum = nil
        }
        guard let start, let stop, let misses, let intensity, let period, let initial, let maximum, let reset else {
            return nil
        }
        return SupervisorSettings(
            startTimeoutMs: start, stopTimeoutMs: stop, heartbeatMisses: misses, restartIntensity: intensity,
            restartPeriodS: period, backoffInitialMs: initial, backoffMaxMs: maximum, backoffResetMs: reset)
    }
}

import Foundation
import Testing

@testable import PGRaftKit

@testable import PGRaftSupervisor

/// Which components a reload touches, from the two configurations alone.
@Suite struct ReloadPlanTests {
    private static let base = """
        cluster_name: demo
        node_id: 1
        listen_address: 127.0.0.1
        listen_port: 7001
        members:
          - id: 1
            address: 127.0.0.1:7001
        data_dir: data
        run_dir: run
        log_dir: log
        api:
          listen_port: 8001

        """

    private func config(_ yaml: String) throws -> NodeConfig {
        try NodeConfig.parse(yaml: yaml, file: "test.yaml", baseDirectory: "/tmp/pgraft-reload-plan")
    }

    @Test func anUnchangedFileTouchesNothing() throws {
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(Self.base))
        #expect(plan.isEmpty)
        #expect(plan.refusals.isEmpty)
    }

    @Test func aChangedAPIPortRestartsOnlyTheAPI() throws {
        let new = Self.base.replacingOccurrences(of: "listen_port: 8001", with: "listen_port: 8002")
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(new))
        #expect(plan == ReloadPlan(refusals: [], restart: ["api"], start: [], stop: []))
    }

    @Test func aChangedPeerPortRestartsTransportOnly() throws {
        let new = Self.base.replacingOccurrences(of: "listen_port: 7001", with: "listen_port: 7005")
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(new))
        #expect(plan.restart == ["transport"])
    }

    @Test func debugEnabledRestartsEveryComponent() throws {
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(Self.base + "debug_enabled: true\n"))
        #expect(plan.restart == ["storage", "consensus", "transport", "bridge", "api"])
    }

    @Test func disablingAndAddingComponentsStopsAndStartsThem() throws {
        let new = Self.base + """
            components:
              bridge:
                enabled: false
              exporter:
                command: /bin/sleep
                args: ["1000"]

            """
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(new))
        #expect(plan.stop == ["bridge"])
        #expect(plan.start == ["exporter"])
        #expect(plan.restart.isEmpty)
    }

    @Test func identityChangesAreRefused() throws {
        let new = Self.base.replacingOccurrences(of: "node_id: 1", with: "node_id: 2")
            .replacingOccurrences(of: "id: 1", with: "id: 2")
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(new))
        #expect(plan.refusals.count == 1)
        #expect(plan.refusals.first?.contains("node_id") == true)
    }

    // MARK: - Each setting restarts exactly the components that read it

    /// What each built-in component reads from the configuration besides its own `components:` entry,
    /// stated here from their sources rather than from `ConfigSchema`; `readsMatchThePluginSources`
    /// checks it against those sources.
    private static let reads: [String: Set<String>] = [
        "storage": runtimeReads.union(["data_dir", "run_dir"]),
        "consensus": runtimeReads.union([
            "node_id", "heartbeat_interval", "election_timeout", "max_log_entries", "initial_cluster_state", "members", "run_dir",
        ]),
        "transport": runtimeReads.union([
            "cluster_name", "node_id", "listen_address", "listen_port", "peer_timeout", "cluster_secret_file", "tls", "members", "run_dir",
        ]),
        // node_id and run_dir: the server's application name and the passfile's directory.
        "bridge": runtimeReads.union(["node_id", "run_dir", "heartbeat_interval", "election_timeout"]).union(postgresKeys),
        "api": runtimeReads.union([
            "cluster_name", "node_id", "api.listen_address", "api.listen_port", "api.max_value_bytes", "api.token_file", "api.auth", "api.tls",
            "log_dir", "run_dir",
        ]),
    ]

    /// Every key of the postgres section, which only the bridge reads.
    private static let postgresKeys: Set<String> = [
        "postgres.bin_dir", "postgres.data_dir", "postgres.listen_address", "postgres.port", "postgres.connect_address",
        "postgres.socket_dir", "postgres.os_user", "postgres.superuser", "postgres.replication", "postgres.parameters",
        "postgres.pg_hba", "postgres.synchronous", "postgres.maximum_lag_on_failover", "postgres.use_pg_rewind",
        "postgres.start_timeout_ms",
    ]

    /// What `ComponentRuntime` reads for every component (an operator's component is handed the same file).
    private static let runtimeReads: Set<String> = ["debug_enabled", "health_period_ms"]

    /// A change of every setting a reload may change (identity settings are refused instead).
    private static let changes: [String: @Sendable (inout NodeConfig) -> Void] = [
        "listen_address": { $0.listenAddress = "::1" },
        "listen_port": { $0.listenPort = 7009 },
        "peer_timeout": { $0.peerTimeout = 7 },
        "cluster_secret_file": { $0.clusterSecretFile = "/etc/pgraft/cluster.secret" },
        "tls": { $0.tls = TLSFiles(certFile: "/etc/pgraft/n.crt", keyFile: "/etc/pgraft/n.key", caFile: "/etc/pgraft/ca.crt") },
        "allow_unauthenticated_peers": { $0.allowUnauthenticatedPeers = true },
        "heartbeat_interval": { $0.heartbeatInterval = 10 },
        "election_timeout": { $0.electionTimeout = 2000 },
        "max_log_entries": { $0.maxLogEntries = 7 },
        "debug_enabled": { $0.debugEnabled = true },
        "health_period_ms": { $0.healthPeriodMs = 100 },
        "initial_cluster_state": { $0.initialClusterState = .existing },
        "members": { $0.members.append(Member(id: 2, host: "127.0.0.2", port: 7001)) },
        "data_dir": { $0.dataDir = "/elsewhere/data" },
        "log_dir": { $0.logDir = "/elsewhere/log" },
        "log.max_bytes": { $0.log.maxBytes = 5000 },
        "log.keep": { $0.log.keep = 9 },
        "api.listen_address": { $0.api.listenAddress = "0.0.0.0" },
        "api.listen_port": { $0.api.listenPort = 9000 },
        "api.max_value_bytes": { $0.api.maxValueBytes = 5 },
        "api.token_file": { $0.api.tokenFile = "/etc/pgraft/api.tokens" },
        "api.auth": { $0.api.auth = .all },
        "api.tls": { $0.api.tls = TLSFiles(certFile: "/etc/pgraft/api.crt", keyFile: "/etc/pgraft/api.key", caFile: nil) },
        "api.allow_unauthenticated": { $0.api.allowUnauthenticated = true },
        "postgres.bin_dir": { $0.postgres?.binDir = "/opt/pg/bin" },
        "postgres.data_dir": { $0.postgres?.dataDir = "/elsewhere/pg" },
        "postgres.listen_address": { $0.postgres?.listenAddress = "10.0.0.9" },
        "postgres.port": { $0.postgres?.port = 5999 },
        "postgres.connect_address": { $0.postgres?.connectAddress = NetworkAddress(host: "db.example", port: 5432) },
        "postgres.socket_dir": { $0.postgres?.socketDir = "/elsewhere/socket" },
        "postgres.os_user": { $0.postgres?.osUser = "pg" },
        "postgres.superuser": { $0.postgres?.superuser.password = .file("/etc/pgraft/superuser.password") },
        "postgres.replication": { $0.postgres?.replication.user = "streamer" },
        "postgres.parameters": { $0.postgres?.parameters = ["work_mem": "8MB"] },
        "postgres.pg_hba": { $0.postgres?.pgHba = ["local all all peer"] },
        "postgres.synchronous": { $0.postgres?.synchronous = .off },
        "postgres.maximum_lag_on_failover": { $0.postgres?.maximumLagOnFailover = 0 },
        "postgres.use_pg_rewind": { $0.postgres?.usePgRewind = false },
        "postgres.start_timeout_ms": { $0.postgres?.startTimeoutMs = 1 },
        "supervisor.start_timeout_ms": { $0.supervisor.startTimeoutMs = 1 },
        "supervisor.stop_timeout_ms": { $0.supervisor.stopTimeoutMs = 1 },
        "supervisor.heartbeat_misses": { $0.supervisor.heartbeatMisses = 1 },
        "supervisor.restart_intensity": { $0.supervisor.restartIntensity = 1 },
        "supervisor.restart_period_s": { $0.supervisor.restartPeriodS = 1 },
        "supervisor.backoff_initial_ms": { $0.supervisor.backoffInitialMs = 1 },
        "supervisor.backoff_max_ms": { $0.supervisor.backoffMaxMs = 99_999 },
        "supervisor.backoff_reset_ms": { $0.supervisor.backoffResetMs = 1 },
    ]

    @Test func changingASettingRestartsExactlyTheComponentsThatReadIt() throws {
        let old = try config(Self.base + "postgres:\n  data_dir: pg\ncomponents:\n  tool:\n    command: tool\n")
        #expect(Set(ConfigSchema.settings.map(\.key).filter { $0.hasPrefix("postgres.") }) == Self.postgresKeys)
        let identity = ConfigSchema.settings.filter { $0.setting.readers == .identity }.map(\.key)
        #expect(Set(Self.changes.keys) == Set(ConfigSchema.settings.map(\.key)).subtracting(identity + ["components"]))
        for key in ConfigSchema.settings.map(\.key) {
            guard let change = Self.changes[key] else { continue }
            var new = old
            change(&new)
            #expect(new != old, "\(key)")
            let readers = ComponentSpec.builtinNames.filter { Self.reads[$0]!.contains(key) }
                + (Self.runtimeReads.contains(key) ? ["tool"] : [])
            #expect(ReloadPlan.make(old: old, new: new) == ReloadPlan(refusals: [], restart: readers, start: [], stop: []), "\(key)")
        }
        for key in identity {
            #expect(Self.reads.values.contains { $0.contains(key) }, "\(key) is read by no component")
        }
        var new = old
        new.components[5].args = ["-v"]
        #expect(ReloadPlan.make(old: old, new: new).restart == ["tool"])
    }

    /// The settings each built-in's sources read through `config.<property>` (its plugin directory, the
    /// api's library and the component runtime), as YAML keys.
    @Test func readsMatchThePluginSources() throws {
        let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        func keysRead(in directories: [String]) throws -> Set<String> {
            var keys: Set<String> = []
            for directory in directories {
                let url = root.appendingPathComponent(directory)
                for file in try FileManager.default.contentsOfDirectory(atPath: url.path) where file.hasSuffix(".swift") {
                    let text = try String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)
                    // Simple word boundaries: the default (Unicode's) sees no boundary in `context.config`.
                    for match in text.matches(of: /\bconfig\.([a-z][A-Za-z]*)(?:\.([a-z][A-Za-z]*))?/.wordBoundaryKind(.simple)) {
                        keys.formUnion(Self.settingKeys(String(match.1), String(match.2 ?? "")))
                    }
                }
            }
            return keys
        }
        let runtime = try keysRead(in: ["Sources/PGRaftKit/Runtime"])
        #expect(runtime == Self.runtimeReads)
        for name in ComponentSpec.builtinNames {
            let sources = ["plugins/\(name)"] + (name == "api" ? ["Sources/PGRaftAPI"] : [])
            let read = try keysRead(in: sources).union(runtime)
            #expect(read == Self.reads[name], "\(name): \(read.sorted())")
        }
    }

    /// The YAML keys behind `config.<property>` (`.<member>` for a section's field).
    private static func settingKeys(_ property: String, _ member: String) -> [String] {
        func snake(_ name: String) -> String {
            name.reduce(into: "") { result, character in
                result += character.isUppercase ? "_" + character.lowercased() : String(character)
            }
        }
        switch property {
        case "consensusSocketPath", "controlSocketPath": return ["run_dir"]
        case "logFilePath": return ["log_dir"]
        case "segmentName": return ["cluster_name", "node_id"]
        case "components", "component", "enabledComponents": return []
        case "postgres": return ConfigSchema.settings.map(\.key).filter { $0.hasPrefix("postgres.") }
        case "api", "log", "supervisor": return [property + "." + snake(member)]
        default: return [snake(property)]
        }
    }
}

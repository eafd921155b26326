import Foundation
import Testing

@testable import PGRaftKit

@Suite("NodeConfig: valid files, defaults, derived values")
struct ConfigTests {
    @Test func fullFileParsesEveryField() throws {
        let config = try ConfigFixture.parse(
            """
            cluster_name: prod-eu.1
            node_id: 2
            listen_address: 10.0.0.2
            listen_port: 7002
            peer_timeout: 3000
            cluster_secret_file: secret
            heartbeat_interval: 50
            election_timeout: 500
            max_log_entries: 5000
            debug_enabled: true
            health_period_ms: 250
            initial_cluster_state: existing
            members:
              - id: 1
                address: 10.0.0.1:7001
              - id: 2
                address: 10.0.0.2:7002
              - id: 3
                address: "[fd00::3]:7003"
            data_dir: /var/lib/pgraft
            run_dir: ../run
            log_dir: ./logs/
            log:
              max_bytes: 4096
              keep: 2
            api:
              listen_address: 0.0.0.0
              listen_port: 8080
              max_value_bytes: 65536
              token_file: api.tokens
              auth: reads
            postgres:
              data_dir: /var/lib/postgresql/15/main
              port: 5433
            supervisor:
              start_timeout_ms: 2000
              stop_timeout_ms: 1000
              heartbeat_misses: 3
              restart_intensity: 4
              restart_period_s: 30
              backoff_initial_ms: 10
              backoff_max_ms: 20
              backoff_reset_ms: 30
            components:
              backup:
                command: bin/backup
                args: [--every, 60]
                env: {TARGET: s3, LEVEL: 3}
                restart: on-failure
                stop_timeout_ms: 100
              bridge:
                enabled: false
              agent:
                command: agent
                readiness: segment
                watchdog: true
                restart: never
              storage:
                command: /opt/storage
                args: []
            """)
        #expect(config.clusterName == "prod-eu.1")
        #expect(config.nodeId == 2)
        #expect(config.clusterSecretFile == "/etc/pgraft/secret")
        #expect(config.listenAddress == "10.0.0.2")
        #expect(config.listenPort == 7002)
        #expect(config.peerTimeout == 3000)
        #expect(config.heartbeatInterval == 50)
        #expect(config.electionTimeout == 500)
        #expect(config.maxLogEntries == 5000)
        #expect(config.debugEnabled)
        #expect(config.healthPeriodMs == 250)
        #expect(
            config.members == [
                Member(id: 1, host: "10.0.0.1", port: 7001), Member(id: 2, host: "10.0.0.2", port: 7002),
                Member(id: 3, host: "fd00::3", port: 7003),
            ])
        #expect(config.members[2].address == "[fd00::3]:7003")
        #expect(config.dataDir == "/var/lib/pgraft")
        #expect(config.runDir == "/etc/run")
        #expect(config.logDir == "/etc/pgraft/logs")
        #expect(config.log == LogSettings(maxBytes: 4096, keep: 2))
        #expect(config.api == APISettings(listenAddress: "0.0.0.0", listenPort: 8080, maxValueBytes: 65536, tokenFile: "/etc/pgraft/api.tokens", auth: .reads))
        #expect(config.initialClusterState == .existing)
        #expect(config.postgres == PostgresSettings(dataDir: "/var/lib/postgresql/15/main", port: 5433, socketDir: "/etc/run"))
        #expect(
            config.supervisor
                == SupervisorSettings(
                    startTimeoutMs: 2000, stopTimeoutMs: 1000, heartbeatMisses: 3, restartIntensity: 4,
                    restartPeriodS: 30, backoffInitialMs: 10, backoffMaxMs: 20, backoffResetMs: 30))
        #expect(config.components.map(\.name) == ["storage", "consensus", "transport", "bridge", "api", "backup", "agent"])
        #expect(config.enabledComponents.map(\.name) == ["storage", "consensus", "transport", "api", "backup", "agent"])
        #expect(
            config.component(named: "backup")
                == ComponentSpec(
                    name: "backup", enabled: true, command: "/etc/pgraft/bin/backup", args: ["--every", "60"],
                    env: ["TARGET": "s3", "LEVEL": "3"], restart: .onFailure, readiness: .started, watchdog: false,
                    stopTimeoutMs: 100, isBuiltin: false))
        #expect(
            config.component(named: "agent")
                == ComponentSpec(
                    name: "agent", enabled: true, command: "agent", args: [], env: [:], restart: .never,
                    readiness: .segment, watchdog: true, stopTimeoutMs: 1000, isBuiltin: false))
        #expect(config.component(named: "storage")?.command == "/opt/storage")
        #expect(config.component(named: "bridge")?.enabled == false)
        #expect(config.path == "")
    }

    @Test func defaultsAreFilledIn() throws {
        let config = try ConfigFixture.parse(ConfigFixture.minimal)
        #expect(config.listenAddress == "127.0.0.1")
        #expect(config.peerTimeout == 2000)
        #expect(config.heartbeatInterval == 100)
        #expect(config.electionTimeout == 1000)
        #expect(config.maxLogEntries == 1000)
        #expect(config.debugEnabled == false)
        #expect(config.healthPeriodMs == 500)
        #expect(config.members == [Member(id: 1, host: "127.0.0.1", port: 7001)])
        #expect(config.log == LogSettings(maxBytes: 10_485_760, keep: 5))
        #expect(config.api == APISettings(listenAddress: "127.0.0.1", listenPort: 8008, maxValueBytes: 1 << 20))
        #expect(config.initialClusterState == .new)
        #expect(config.postgres == nil)
        #expect(config.supervisor == .defaults)
        #expect(config.components.count == 5)
        for (index, spec) in config.components.enumerated() {
            #expect(spec.name == ComponentSpec.builtinNames[index])
            #expect(spec.enabled && spec.isBuiltin && spec.watchdog)
            #expect(spec.command == nil && spec.args.isEmpty && spec.env.isEmpty)
            #expect(spec.restart == .always && spec.readiness == .segment && spec.stopTimeoutMs == 5000)
        }
    }

    @Test func componentStopTimeoutDefaultsToTheSupervisors() throws {
        let config = try ConfigFixture.parse(ConfigFixture.minimal + "supervisor:\n  stop_timeout_ms: 1234\n")
        #expect(config.components.allSatisfy { $0.stopTimeoutMs == 1234 })
    }

    @Test func nullSectionsMeanDefaults() throws {
        let config = try ConfigFixture.parse(ConfigFixture.minimal + "log:\napi:\nsupervisor:\ncomponents:\n  storage:\n")
        #expect(config == (try ConfigFixture.parse(ConfigFixture.minimal)))
    }

    @Test func relativePathsResolveAgainstTheBaseDirectory() throws {
        let yaml = ConfigFixture.minimal.replacingOccurrences(of: "log_dir: log/node1", with: "log_dir: ../../var//log/./x/")
            + "components:\n  tool:\n    command: ../bin/tool\n  other:\n    command: other-tool\n"
        let config = try NodeConfig.parse(yaml: yaml, file: "x", baseDirectory: "/srv/pgraft/etc")
        #expect(config.dataDir == "/srv/pgraft/etc/data/node1")
        #expect(config.runDir == "/srv/pgraft/etc/run/node1")
        #expect(config.logDir == "/srv/var/log/x")
        #expect(config.component(named: "tool")?.command == "/srv/pgraft/bin/tool")
        #expect(config.component(named: "other")?.command == "other-tool")
    }

    @Test func loadResolvesAgainstTheFilesDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfgtest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("node.yaml").path
        try ConfigFixture.minimal.write(toFile: file, atomically: true, encoding: .utf8)
        let config = try NodeConfig.load(path: file)
        #expect(config.path == file)
        #expect(config.dataDir == directory.path + "/data/node1")
        #expect(config.controlSocketPath == directory.path + "/run/node1/pgraftd.sock")
    }

    @Test func loadReportsAnUnreadableFileWithoutPosition() {
        func loadError(_ path: String) -> String {
            do {
                _ = try NodeConfig.load(path: path)
                return "loaded"
            } catch {
                return error.description
            }
        }
        #expect(loadError("/nonexistent/pgraft.yaml") == "/nonexistent/pgraft.yaml: cannot read the configuration file: No such file or directory")
        #expect(loadError("/tmp") == "/tmp: cannot read the configuration file: it is a directory")
    }

    @Test func derivedNames() throws {
        let config = try ConfigFixture.parse(ConfigFixture.minimal)
        #expect(config.segmentName == "/pgraft.demo.1")
        #expect(config.controlSocketPath == "/etc/pgraft/run/node1/pgraftd.sock")
        #expect(config.consensusSocketPath == "/etc/pgraft/run/node1/consensus.sock")
        #expect(config.logFilePath(component: "storage") == "/etc/pgraft/log/node1/storage.log")
    }

    @Test func effectiveYAMLRoundTrips() throws {
        let sources = [
            ConfigFixture.minimal,
            ConfigFixture.minimal + """
                postgres:
                  data_dir: "./pg dir/é"
                  parameters: {search_path: "'$user', public", log_line_prefix: "%m [%p] \\"q\\"\\t", "null": on}
                  pg_hba: ["host all all 10.0.0.0/8 scram-sha-256", "local all \\"odd user\\" peer # #"]
                components:
                  weird-1:
                    command: "./odd dir/tool"
                    args: ["null", "true", "10", "", "a: b", "#x", "'q'"]
                    env: {"A_B": "1", "x.y": "null", EMPTY: ""}
                    restart: never
                  bridge:
                    enabled: false
                    readiness: started
                """,
        ]
        for source in sources {
            let config = try ConfigFixture.parse(source)
            let yaml = config.effectiveYAML()
            let again = try NodeConfig.parse(yaml: yaml, file: "effective.yaml", baseDirectory: "/somewhere/else")
            #expect(again == config, "\(yaml)")
            #expect(again.effectiveYAML() == yaml)
        }
    }

    @Test func effectiveYAMLOfALoadedFileRoundTripsThroughLoad() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfgtest-rt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("a.yaml").path
        try ConfigFixture.minimal.write(toFile: file, atomically: true, encoding: .utf8)
        let config = try NodeConfig.load(path: file)
        let effective = directory.appendingPathComponent("sub-effective.yaml").path
        try config.effectiveYAML().write(toFile: effective, atomically: true, encoding: .utf8)
        let again = try NodeConfig.load(path: effective)
        #expect(again == config)
        #expect(again.path == effective)
    }

    @Test func fingerprintsChangeOnlyForDependentComponents() throws {
        let base = try ConfigFixture.parse(ConfigFixture.minimal + "components:\n  tool:\n    command: tool\n")
        func changed(_ edit: (inout NodeConfig) -> Void) -> [String] {
            var new = base
            edit(&new)
            return new.components.map(\.name).filter { base.settingsFingerprint(for: $0) != new.settingsFingerprint(for: $0) }
        }
        #expect(changed { _ in } == [])
        #expect(changed { $0.api.listenPort = 9000 } == ["api"])
        #expect(changed { $0.api.listenAddress = "0.0.0.0" } == ["api"])
        #expect(changed { $0.postgres = PostgresSettings(dataDir: "/pg", socketDir: "/s") } == ["bridge"])
        #expect(changed { $0.dataDir = "/x" } == ["storage"])
        #expect(changed { $0.logDir = "/l" } == ["api"])
        // The bridge ticks at the heartbeat interval and fences within an election timeout.
        #expect(changed { $0.heartbeatInterval = 10 } == ["consensus", "bridge"])
        #expect(changed { $0.electionTimeout = 2000 } == ["consensus", "bridge"])
        #expect(changed { $0.maxLogEntries = 7 } == ["consensus"])
        #expect(changed { $0.peerTimeout = 7 } == ["transport"])
        #expect(changed { $0.members.append(Member(id: 2, host: "h", port: 1)) } == ["consensus", "transport"])
        #expect(changed { $0.listenPort = 7009 } == ["transport"])
        #expect(changed { $0.listenAddress = "::1" } == ["transport"])
        #expect(changed { $0.debugEnabled = true } == ["storage", "consensus", "transport", "bridge", "api", "tool"])
        #expect(changed { $0.healthPeriodMs = 100 } == ["storage", "consensus", "transport", "bridge", "api", "tool"])
        #expect(changed { $0.components[5].args = ["-v"] } == ["tool"])
        #expect(changed { $0.components[0].stopTimeoutMs = 1 } == ["storage"])
        #expect(changed { $0.components[4].env = ["A": "b"] } == ["api"])
        #expect(changed { $0.log.keep = 9 } == [])
        #expect(changed { $0.supervisor.restartIntensity = 1 } == [])
    }

    @Test func identityChangesNameTheKeysThatDiffer() throws {
        let old = try ConfigFixture.parse(ConfigFixture.minimal)
        var new = old
        #expect(new.identityChanges(comparedTo: old) == [])
        new.listenPort = 7005
        new.api.listenPort = 9
        #expect(new.identityChanges(comparedTo: old) == [])
        new.clusterName = "other"
        new.runDir = "/run/other"
        #expect(new.identityChanges(comparedTo: old) == ["cluster_name", "run_dir"])
        new.nodeId = 9
        #expect(new.identityChanges(comparedTo: old) == ["cluster_name", "node_id", "run_dir"])
    }

    @Test func equalityIgnoresWhereTheFileCameFrom() throws {
        var config = try ConfigFixture.parse(ConfigFixture.minimal)
        let other = config
        config.path = "/etc/pgraft/pgraft.yaml"
        #expect(config == other)
        config.nodeId = 2
        #expect(config != other)
    }

    @Test func aPeerPortOtherHostsCanReachNeedsAuthenticationOrAnExplicitWaiver() throws {
        for address in ["10.0.0.2", "0.0.0.0", "db-2.example.com", "\"::\""] {
            let errors = ConfigFixture.errors(ConfigFixture.minimal + "listen_address: \(address)\n")
            #expect(errors.count == 1, "\(address)")
            #expect(errors.first?.contains("t.yaml:7:17: listen_address:") == true, "\(errors)")
            #expect(errors.first?.contains("Set tls (certificates from one authority") == true)
            #expect(errors.first?.contains("cluster_secret_file (the same file on every node") == true)
            #expect(errors.first?.contains("allow_unauthenticated_peers: true") == true)
        }
        for loopback in ["127.0.0.1", "127.1.2.3", "localhost", "\"::1\""] {
            #expect(ConfigFixture.errors(ConfigFixture.minimal + "listen_address: \(loopback)\n") == [], "\(loopback)")
        }
        let secured = try ConfigFixture.parse(ConfigFixture.minimal + "listen_address: 10.0.0.2\ncluster_secret_file: /etc/pgraft/secret\n")
        #expect(secured.clusterSecretFile == "/etc/pgraft/secret")
        let waived = try ConfigFixture.parse(ConfigFixture.minimal + "listen_address: 10.0.0.2\nallow_unauthenticated_peers: true\n")
        #expect(waived.allowUnauthenticatedPeers && waived.clusterSecretFile == nil)
        #expect(try ConfigFixture.parse(ConfigFixture.minimal + "cluster_secret_file: null\n").clusterSecretFile == nil)
        #expect(ConfigFixture.errors(ConfigFixture.minimal + "cluster_secret_file: \"\"\n").first?.contains("expected a file path") == true)
        // The effective YAML names the file, or says there is none, and reads back the same.
        for config in [secured, waived] {
            #expect(try NodeConfig.parse(yaml: config.effectiveYAML(), file: "e.yaml", baseDirectory: "/") == config)
        }
    }

    @Test func aTLSSectionNamesItsFilesAndNeedsAnAuthorityAndAuthenticatesPeers() throws {
        let config = try ConfigFixture.parse(
            ConfigFixture.minimal + """
                listen_address: 10.0.0.1
                tls:
                  cert_file: node.crt
                  key_file: /etc/pgraft/node.key
                  ca_file: ca.crt
                allow_unauthenticated_peers: false

                """)
        #expect(config.tls == TLSFiles(certFile: "/etc/pgraft/node.crt", keyFile: "/etc/pgraft/node.key", caFile: "/etc/pgraft/ca.crt"))
        #expect(try NodeConfig.parse(yaml: config.effectiveYAML(), file: "e.yaml", baseDirectory: "/") == config)
        #expect(ConfigFixture.errors(ConfigFixture.minimal + "tls:\n  cert_file: a\n  key_file: b\n") == [
            "t.yaml:7:1: tls: ca_file is required: the authority the other nodes' certificates must be signed by"
        ])
        #expect(ConfigFixture.errors(ConfigFixture.minimal + "tls:\n  cert_file: a\n").first?.contains("key_file") == true)
        #expect(ConfigFixture.errors(ConfigFixture.minimal + "tls: yes\n").first?.contains("tls: expected a mapping {cert_file, key_file, ca_file}") == true)
        #expect(ConfigFixture.errors(ConfigFixture.minimal + "tls:\n  cert: a\n").contains { $0.contains("tls: unknown key 'cert'") })
        // The API's TLS: a client authority is optional, and when given it authenticates requests.
        let api = try ConfigFixture.parse(ConfigFixture.minimal + "api:\n  listen_address: 10.0.0.1\n  tls:\n    cert_file: a\n    key_file: b\n    ca_file: c\n")
        #expect(api.api.tls == TLSFiles(certFile: "/etc/pgraft/a", keyFile: "/etc/pgraft/b", caFile: "/etc/pgraft/c"))
        #expect(try NodeConfig.parse(yaml: api.effectiveYAML(), file: "e.yaml", baseDirectory: "/") == api)
        let serverOnly = try ConfigFixture.parse(ConfigFixture.minimal + "api:\n  tls:\n    cert_file: a\n    key_file: b\n")
        #expect(serverOnly.api.tls?.caFile == nil)
    }

    @Test func anAPIOtherHostsCanReachNeedsTokensOrAnExplicitWaiver() throws {
        let open = ConfigFixture.errors(ConfigFixture.minimal + "api:\n  listen_address: 0.0.0.0\n")
        #expect(open.count == 1)
        #expect(open.first?.contains("t.yaml:8:19: api.listen_address: 0.0.0.0 can be reached from other hosts") == true, "\(open)")
        #expect(open.first?.contains("Set api.token_file") == true)
        let tokens = try ConfigFixture.parse(ConfigFixture.minimal + "api:\n  listen_address: 0.0.0.0\n  token_file: tokens\n")
        #expect(tokens.api.tokenFile == "/etc/pgraft/tokens" && tokens.api.auth == .writes)
        let waived = try ConfigFixture.parse(ConfigFixture.minimal + "api:\n  listen_address: 0.0.0.0\n  allow_unauthenticated: true\n")
        #expect(waived.api.allowUnauthenticated)
        #expect(ConfigFixture.errors(ConfigFixture.minimal + "api:\n  auth: all\n") == [
            "t.yaml:8:9: api.auth: all needs api.token_file or api.tls.ca_file, the credentials requests must carry"
        ])
        #expect(ConfigFixture.errors(ConfigFixture.minimal + "cluster_secret_file: /s\napi:\n  token_file: /s\n").first?.contains(
            "api.token_file: /s is also cluster_secret_file") == true)
        #expect(ConfigFixture.errors(ConfigFixture.minimal + "api:\n  token_file: t\n  auth: some\n").first?.contains("expected one of writes, reads, all") == true)
        for config in [tokens, waived] {
            #expect(try NodeConfig.parse(yaml: config.effectiveYAML(), file: "e.yaml", baseDirectory: "/") == config)
        }
    }

    @Test func ipv6AndHostNames() throws {
        let config = try ConfigFixture.parse(
            ConfigFixture.minimal + """
                listen_address: "::1"
                members:
                  - {id: 1, address: "[::1]:7001"}
                  - {id: 2, address: "db-2.example.com:7002"}
                """)
        #expect(config.listenAddress == "::1")
        #expect(config.members.map(\.address) == ["[::1]:7001", "db-2.example.com:7002"])
    }

    @Test func everyExampleFileUnderEtcIsValid() throws {
        let etc = ConfigFixture.etcDirectory
        let files = try #require(FileManager.default.enumerator(atPath: etc.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        #expect(Set(files).isSuperset(of: ["cluster/node1.yaml", "cluster/node2.yaml", "cluster/node3.yaml", "pgraft.yaml"]))
        for file in files {
            do {
                let config = try NodeConfig.load(path: etc.appendingPathComponent(file).path)
                #expect(try NodeConfig.parse(yaml: config.effectiveYAML(), file: file, baseDirectory: "/") == config)
            } catch {
                Issue.record("\(file): \(error.description)")
            }
        }
        let nodes = try (1...3).map { try NodeConfig.load(path: etc.appendingPathComponent("cluster/node\($0).yaml").path) }
        #expect(nodes.map(\.listenPort) == [7101, 7102, 7103])
        #expect(nodes.map(\.api.listenPort) == [8101, 8102, 8103])
        #expect(Set(nodes.map(\.clusterName)) == ["demo"])
        #expect(nodes[1].members == nodes[0].members && nodes[2].members == nodes[0].members)
        #expect(nodes[0].members.map(\.address) == ["127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103"])
        #expect(Set(nodes.map(\.runDir)).count == 3)
    }

    /// The example files keep their postgres section commented out (they start without PostgreSQL);
    /// uncommented, it is valid and says what its comments say.
    @Test func theCommentedPostgresExamplesAreValidOnceUncommented() throws {
        let etc = ConfigFixture.etcDirectory
        func uncommented(_ file: String) throws -> NodeConfig {
            let path = etc.appendingPathComponent(file).path
            var inBlock = false
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map { line in
                if line == "# postgres:" { inBlock = true } else if !line.hasPrefix("#  ") { inBlock = false }
                return inBlock ? String(line.dropFirst(2)) : String(line)
            }
            #expect(lines.contains("postgres:"), "\(file) has no commented postgres section")
            return try NodeConfig.parse(yaml: lines.joined(separator: "\n"), file: file, baseDirectory: etc.path)
        }
        let single = try #require(try uncommented("pgraft.yaml").postgres)
        #expect(single.binDir == "/usr/lib/postgresql/15/bin")
        #expect(single.dataDir == etc.path + "/pg/node1")
        #expect(single.connectAddress == NetworkAddress(host: "127.0.0.1", port: 5432))
        #expect(single.socketDir == etc.path + "/run/node1")
        #expect(single.superuser == PostgresRoleSettings(user: "postgres", password: .file(etc.path + "/superuser.password")))
        #expect(single.replication == PostgresRoleSettings(user: "pgraft_replication"))
        #expect(single.parameters == ["shared_buffers": "128MB", "max_connections": "100"])
        #expect(single.pgHba == ["host all all 127.0.0.1/32 scram-sha-256"])
        #expect(single == PostgresSettings(
            dataDir: single.dataDir, socketDir: single.socketDir, superuser: single.superuser, parameters: single.parameters,
            pgHba: single.pgHba))
        let nodes = try (1...3).map { try #require(try uncommented("cluster/node\($0).yaml").postgres) }
        #expect(nodes.map(\.port) == [5441, 5442, 5443])
        #expect(Set(nodes.map(\.dataDir)).count == 3)
        #expect(Set(nodes.map(\.socketPath)).count == 3)
    }
}

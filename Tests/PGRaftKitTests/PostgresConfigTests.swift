import Foundation
import PGRaftBridge
import Testing

@testable import PGRaftKit

@Suite("NodeConfig: the postgres section of a managed server")
struct PostgresConfigTests {
    /// The minimal file with `lines` appended (they start at line 7).
    private func minimalPlus(_ lines: String) -> [String] {
        ConfigFixture.errors(ConfigFixture.minimal + lines)
    }

    /// A password no message, effective YAML or description may contain.
    private static let secret = "Tr0ub4dor&3-never-shown"

    // MARK: - Values

    @Test func aSectionWithOnlyTheDataDirectoryHasEveryDefault() throws {
        let config = try ConfigFixture.parse(ConfigFixture.minimal + "postgres:\n  data_dir: pg/data\n")
        let postgres = try #require(config.postgres)
        #expect(postgres.binDir == "/usr/lib/postgresql/15/bin")
        #expect(postgres.dataDir == "/etc/pgraft/pg/data")
        #expect(postgres.listenAddress == "127.0.0.1")
        #expect(postgres.port == 5432)
        #expect(postgres.connectAddress == NetworkAddress(host: "127.0.0.1", port: 5432))
        #expect(postgres.socketDir == config.runDir)
        #expect(postgres.osUser == "postgres")
        #expect(postgres.superuser == PostgresRoleSettings(user: "postgres", password: nil))
        #expect(postgres.replication == PostgresRoleSettings(user: "pgraft_replication", password: nil))
        #expect(postgres.parameters.isEmpty)
        #expect(postgres.pgHba.isEmpty)
        #expect(postgres.synchronous == .quorum)
        #expect(postgres.maximumLagOnFailover == 1_048_576)
        #expect(postgres.usePgRewind)
        #expect(postgres.startTimeoutMs == 30_000)
        #expect(postgres == PostgresSettings(dataDir: "/etc/pgraft/pg/data", socketDir: "/etc/pgraft/run/node1"))
        #expect(postgres.socketPath == "/etc/pgraft/run/node1/.s.PGSQL.5432")
    }

    @Test func everyKeyTakesAnExplicitValue() throws {
        let config = try ConfigFixture.parse(
            ConfigFixture.minimal + """
                postgres:
                  bin_dir: ../pg/bin/
                  data_dir: /srv/pg/15/main
                  listen_address: 10.0.0.2
                  port: 5433
                  connect_address: db-2.example.com:6433
                  socket_dir: sockets
                  os_user: pgsql
                  superuser:
                    user: admin
                    password: "\(Self.secret)"
                  replication:
                    user: streamer
                    password_file: secrets/replication
                  parameters:
                    shared_buffers: 128MB
                    max_connections: 200
                    jit: false
                    random_page_cost: 1.1
                    "auto_explain.log_min_duration": 250
                    log_line_prefix: "%m [%p] "
                    synchronous_commit: on
                  pg_hba:
                    - host all all 10.0.0.0/8 scram-sha-256
                    - "local all all peer"
                  synchronous: strict
                  maximum_lag_on_failover: 0
                  use_pg_rewind: false
                  start_timeout_ms: 120000

                """)
        let postgres = try #require(config.postgres)
        #expect(postgres.binDir == "/etc/pg/bin")
        #expect(postgres.dataDir == "/srv/pg/15/main")
        #expect(postgres.listenAddress == "10.0.0.2")
        #expect(postgres.port == 5433)
        #expect(postgres.connectAddress == NetworkAddress(host: "db-2.example.com", port: 6433))
        #expect(postgres.socketDir == "/etc/pgraft/sockets")
        #expect(postgres.osUser == "pgsql")
        #expect(postgres.superuser.user == "admin")
        guard case .value(let secret) = postgres.superuser.password else {
            Issue.record("the superuser's password was not read")
            return
        }
        #expect(secret.value == Self.secret)
        #expect(postgres.replication == PostgresRoleSettings(user: "streamer", password: .file("/etc/pgraft/secrets/replication")))
        #expect(
            postgres.parameters == [
                "shared_buffers": "128MB", "max_connections": "200", "jit": "false", "random_page_cost": "1.1",
                "auto_explain.log_min_duration": "250", "log_line_prefix": "%m [%p] ", "synchronous_commit": "on",
            ])
        #expect(postgres.pgHba == ["host all all 10.0.0.0/8 scram-sha-256", "local all all peer"])
        #expect(postgres.synchronous == .strict)
        #expect(postgres.maximumLagOnFailover == 0)
        #expect(postgres.usePgRewind == false)
        #expect(postgres.startTimeoutMs == 120_000)
    }

    @Test func theConnectAddressDefaultsToTheListenAddressAndPort() throws {
        let ipv6 = try ConfigFixture.parse(ConfigFixture.minimal + "postgres:\n  data_dir: /pg\n  listen_address: \"::1\"\n  port: 6000\n")
        #expect(ipv6.postgres?.connectAddress == NetworkAddress(host: "::1", port: 6000))
        #expect(ipv6.postgres?.connectAddress.description == "[::1]:6000")
        let wildcard = try ConfigFixture.parse(
            ConfigFixture.minimal + "postgres:\n  data_dir: /pg\n  listen_address: \"*\"\n  connect_address: \"[fd00::2]:5432\"\n")
        #expect(wildcard.postgres?.listenAddress == "*")
        #expect(wildcard.postgres?.connectAddress == NetworkAddress(host: "fd00::2", port: 5432))
    }

    @Test func nullMappingsAndListsMeanTheirDefaults() throws {
        let config = try ConfigFixture.parse(
            ConfigFixture.minimal + "postgres:\n  data_dir: /pg\n  superuser:\n  replication: ~\n  parameters:\n  pg_hba: ~\n")
        #expect(config == (try ConfigFixture.parse(ConfigFixture.minimal + "postgres:\n  data_dir: /pg\n")))
    }

    @Test func everyParameterPGRaftOwnsIsRefusedWhateverItsCase() {
        for name in PostgresParameters.owned.sorted() {
            for spelling in [name, name.uppercased()] {
                let errors = minimalPlus("postgres:\n  data_dir: /pg\n  parameters:\n    \(spelling): x\n")
                #expect(errors.count == 1 && errors[0].hasPrefix("t.yaml:10:5: postgres.parameters.\(spelling): pgraft sets \(spelling) itself"), "\(errors)")
            }
        }
    }

    // MARK: - Errors, each at the offending value

    @Test func wrongTypesAndRanges() {
        let file = """
            postgres:
              bin_dir: [a]
              data_dir: ""
              listen_address: "a b"
              port: "5432"
              os_user: "a b"
              synchronous: sometimes
              maximum_lag_on_failover: -1
              use_pg_rewind: yes
              start_timeout_ms: 0

            """
        #expect(minimalPlus(file) == [
            "t.yaml:8:12: postgres.bin_dir: expected a string, got a list",
            "t.yaml:9:13: postgres.data_dir: expected a directory path, got an empty string",
            "t.yaml:10:19: postgres.listen_address: expected a host name, an IP address or *, got \"a b\"",
            "t.yaml:11:9: postgres.port: expected an integer, got string \"5432\"",
            "t.yaml:12:12: postgres.os_user: \"a b\" is not a user name; expected 1–32 characters without white space, ':' or '/'",
            "t.yaml:13:16: postgres.synchronous: expected one of quorum, strict, off; got string \"sometimes\"",
            "t.yaml:14:28: postgres.maximum_lag_on_failover: -1 is out of range; expected at least 0",
            "t.yaml:15:18: postgres.use_pg_rewind: expected true or false, got string \"yes\"",
            "t.yaml:16:21: postgres.start_timeout_ms: 0 is out of range 1–3600000",
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  port: 70000\n") == ["t.yaml:9:9: postgres.port: 70000 is out of range 1–65535"])
        #expect(minimalPlus("postgres:\n  port: 5433\n") == ["t.yaml:7:1: postgres: missing required key 'data_dir'"])
        #expect(minimalPlus("postgres: on\n") == ["t.yaml:7:11: postgres: expected a mapping, got string \"on\""])
    }

    @Test func unknownKeysSuggestTheClosestOne() {
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  use_pg_rewnd: true\n") == [
            "t.yaml:9:3: postgres: unknown key 'use_pg_rewnd'; did you mean 'use_pg_rewind'?"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  superuser: {user: a, pasword: \(Self.secret)}\n") == [
            "t.yaml:9:24: postgres.superuser: unknown key 'pasword'; did you mean 'password'?"
        ])
        let retired = minimalPlus("postgres:\n  data_dir: /pg\n  conninfo: host=/tmp\n")
        #expect(retired.count == 1 && retired[0].hasPrefix("t.yaml:9:3: postgres: unknown key 'conninfo'; expected one of: bin_dir, data_dir,"), "\(retired)")
    }

    @Test func rolesTakeAUserAndOnePasswordAtMost() {
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  superuser:\n    password: a\n    password_file: /pw\n") == [
            "t.yaml:11:20: postgres.superuser: give either password or password_file, not both"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  replication:\n    password_file: /pw\n    password: a\n") == [
            "t.yaml:11:15: postgres.replication: give either password or password_file, not both"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  superuser:\n    user: \"\"\n    password_file: \"\"\n") == [
            "t.yaml:10:11: postgres.superuser.user: expected a role name, got an empty string",
            "t.yaml:11:20: postgres.superuser.password_file: expected a file path, got an empty string",
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  replication:\n    user: \(String(repeating: "r", count: 64))\n") == [
            "t.yaml:10:11: postgres.replication.user: \"\(String(repeating: "r", count: 64))\" is longer than 63 bytes, which PostgreSQL would truncate"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  superuser: {user: pgraft_replication}\n") == [
            "t.yaml:9:21: postgres.replication.user: \"pgraft_replication\" is also postgres.superuser.user; standbys stream with a role of their own"
        ])
    }

    @Test func connectAddressMustBeHostAndPort() {
        func connect(_ value: String) -> [String] {
            minimalPlus("postgres:\n  data_dir: /pg\n  connect_address: \(value)\n")
        }
        #expect(connect("db-1") == ["t.yaml:9:20: postgres.connect_address: expected \"host:port\" (IPv6 as \"[::1]:5432\"), got \"db-1\""])
        #expect(connect("::1:5432") == ["t.yaml:9:20: postgres.connect_address: expected \"host:port\" (IPv6 as \"[::1]:5432\"), got \"::1:5432\""])
        #expect(connect("db-1:99999") == ["t.yaml:9:20: postgres.connect_address: port 99999 is out of range 1–65535"])
        #expect(connect("5432") == ["t.yaml:9:20: postgres.connect_address: expected a string \"host:port\", got integer 5432"])
        #expect(connect("0.0.0.0:5432") == [
            "t.yaml:9:20: postgres.connect_address: \"0.0.0.0\" is a wildcard, not an address the other members can reach"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  listen_address: 0.0.0.0\n") == [
            "t.yaml:9:19: postgres.connect_address: required when postgres.listen_address is \"0.0.0.0\", which is no address the other members can reach; give connect_address: \"host:port\""
        ])
    }

    @Test func parametersAreScalarsNamedLikeParameters() {
        let file = """
            postgres:
              data_dir: /pg
              parameters:
                work-mem: 4MB
                Port: 5433
                work_mem: 8MB
                WORK_MEM: 16MB
                shared_preload_libraries: [pg_stat_statements]
                application_name: ~
                cluster_name: "a\\nb"

            """
        #expect(minimalPlus(file) == [
            "t.yaml:10:5: postgres.parameters.work-mem: not a PostgreSQL parameter name; expected letters, digits, '_' and '.'",
            "t.yaml:11:5: postgres.parameters.Port: pgraft sets Port itself (from postgres.port); it cannot be set in postgres.parameters",
            "t.yaml:13:5: postgres.parameters.WORK_MEM: the same parameter as work_mem (line 12); parameter names ignore case",
            "t.yaml:14:31: postgres.parameters.shared_preload_libraries: expected a string, number or boolean, got a list",
            "t.yaml:15:23: postgres.parameters.application_name: expected a string, number or boolean, got null",
            "t.yaml:16:19: postgres.parameters.cluster_name: a parameter's value cannot contain a line break or a NUL character",
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  parameters: [work_mem]\n") == [
            "t.yaml:9:15: postgres.parameters: expected a mapping, got a list"
        ])
    }

    @Test func pgHbaLinesAreNonEmptySingleLines() {
        let file = """
            postgres:
              data_dir: /pg
              pg_hba:
                - host all all 10.0.0.0/8 scram-sha-256
                - ""
                - "   "
                - "local all all peer\\nhost all all 0.0.0.0/0 trust"
                - |
                  local all all peer
                -
                - {type: host}

            """
        #expect(minimalPlus(file) == [
            "t.yaml:11:7: postgres.pg_hba[1]: an empty line; expected a record such as \"host all all 10.0.0.0/8 scram-sha-256\"",
            "t.yaml:12:7: postgres.pg_hba[2]: an empty line; expected a record such as \"host all all 10.0.0.0/8 scram-sha-256\"",
            "t.yaml:13:7: postgres.pg_hba[3]: a line cannot contain a line break or a NUL character; give each record as an item of its own",
            "t.yaml:14:7: postgres.pg_hba[4]: a line cannot contain a line break or a NUL character; give each record as an item of its own",
            "t.yaml:16:6: postgres.pg_hba[5]: expected a pg_hba.conf line (a string), got null",
            "t.yaml:17:7: postgres.pg_hba[6]: expected a pg_hba.conf line (a string), got a mapping",
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  pg_hba: local all all peer\n") == [
            "t.yaml:9:11: postgres.pg_hba: expected a list of pg_hba.conf lines, got string \"local all all peer\""
        ])
    }

    @Test func thePortMustDifferFromTheNodesListenersOnTheSameAddress() {
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  port: 7001\n") == [
            "t.yaml:9:9: postgres.port: 7001 is also listen_port on 127.0.0.1; PostgreSQL and the peer listener need different ports"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  port: 8008\n") == [
            "t.yaml:9:9: postgres.port: 8008 is also api.listen_port on 127.0.0.1; PostgreSQL and the HTTP API need different ports"
        ])
        #expect(minimalPlus("api:\n  listen_port: 5432\npostgres:\n  data_dir: /pg\n") == [
            "t.yaml:8:16: postgres.port: 5432 (the default) is also api.listen_port on 127.0.0.1; PostgreSQL and the HTTP API need different ports"
        ])
        #expect(errors(ConfigFixture.minimal.replacingOccurrences(of: "listen_port: 7001", with: "listen_port: 5432") + "postgres:\n  data_dir: /pg\n") == [
            "t.yaml:3:14: postgres.port: 5432 (the default) is also listen_port on 127.0.0.1; PostgreSQL and the peer listener need different ports"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  listen_address: \"*\"\n  connect_address: db:7001\n  port: 7001\n") == [
            "t.yaml:11:9: postgres.port: 7001 is also listen_port on 127.0.0.1; PostgreSQL and the peer listener need different ports"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  listen_address: 10.0.0.5\n  port: 7001\n") == [])
    }

    @Test func theDataDirectoryIsApartFromTheNodes() {
        let apart = "the server's data directory and the Raft log must be apart (a base backup or a rewind replaces the data directory whole)"
        #expect(minimalPlus("postgres:\n  data_dir: data/node1\n") == [
            "t.yaml:8:13: postgres.data_dir: \"/etc/pgraft/data/node1\" is the node's data_dir; \(apart)"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: data/node1/pg\n") == [
            "t.yaml:8:13: postgres.data_dir: \"/etc/pgraft/data/node1/pg\" is inside the node's data_dir \"/etc/pgraft/data/node1\"; \(apart)"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: data\n") == [
            "t.yaml:8:13: postgres.data_dir: \"/etc/pgraft/data\" contains the node's data_dir \"/etc/pgraft/data/node1\"; \(apart)"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: data/node10\n") == [])
    }

    @Test func theServersSocketPathMustFit() {
        let fits = "/" + String(repeating: "s", count: 92)  // "/<92>/.s.PGSQL.5432" is 107 bytes
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  socket_dir: \(fits)\n") == [])
        let long = fits + "s"
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  socket_dir: \(long)\n") == [
            "t.yaml:9:15: postgres.socket_dir: \"\(long)\" is too long: the server's socket \"\(long)/.s.PGSQL.5432\" is 108 bytes, a Unix socket path allows at most 107"
        ])
        // In run_dir (the default), the server's socket is no longer than consensus.sock, which run_dir's check covers.
        let run = "/" + String(repeating: "r", count: 91)
        #expect(errors(ConfigFixture.minimal.replacingOccurrences(of: "run_dir: run/node1", with: "run_dir: \(run)") + "postgres:\n  data_dir: /pg\n  port: 65535\n") == [])
    }

    // MARK: - Passwords are never shown

    @Test func aPasswordAppearsInNoErrorMessage() {
        let lines = [
            "  superuser: \(Self.secret)\n",
            "  superuser: {password: [\(Self.secret)]}\n",
            "  superuser: {password: \"\(Self.secret)\\n\"}\n",
            "  superuser: {password: \"\(Self.secret)\", password_file: /x}\n",
            "  replication: {user: \(Self.secret), password: \"\(Self.secret)\", pasword: \(Self.secret)}\n",
            "  replication: [\(Self.secret)]\n",
        ]
        for line in lines {
            let errors = minimalPlus("postgres:\n  data_dir: /pg\n" + line)
            #expect(!errors.isEmpty, "\(line)")
            #expect(!errors.joined().contains(Self.secret), "\(errors)")
        }
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  superuser: \(Self.secret)\n") == [
            "t.yaml:9:14: postgres.superuser: expected a mapping {user, password or password_file}, got a string"
        ])
        #expect(minimalPlus("postgres:\n  data_dir: /pg\n  superuser: {password: \"\"}\n") == [
            "t.yaml:9:25: postgres.superuser.password: the password is empty; leave password out for a role without one"
        ])
    }

    @Test func aPasswordIsNotShownByDescriptionsOrDumps() throws {
        let config = try ConfigFixture.parse(
            ConfigFixture.minimal + "postgres:\n  data_dir: /pg\n  superuser:\n    password: \"\(Self.secret)\"\n")
        var dumped = ""
        dump(config, to: &dumped)
        for text in [String(describing: config), String(reflecting: config), dumped, config.settingsFingerprint(for: "bridge")] {
            #expect(!text.contains(Self.secret))
        }
        #expect(String(describing: config).contains("<set, not shown>"))
    }

    @Test func theEffectiveYAMLNamesTheFileAPasswordIsInAndReadsItBackFromThere() throws {
        try withTemporaryDirectory { directory in
            let file = directory + "/node.yaml"
            let source = ConfigFixture.minimal + """
                postgres:
                  data_dir: /srv/pg
                  superuser:
                    password: "\(Self.secret)"
                  replication:
                    password_file: replication.password

                """
            try source.write(toFile: file, atomically: true, encoding: .utf8)
            let config = try NodeConfig.load(path: file)
            let yaml = config.effectiveYAML()
            #expect(!yaml.contains(Self.secret), "\(yaml)")
            #expect(yaml.contains("    password: !not-shown \"\(file)\"  # set in that file, not shown\n"), "\(yaml)")
            #expect(yaml.contains("    password_file: \"\(directory)/replication.password\"\n"), "\(yaml)")
            // The effective YAML is elsewhere (as pgraftd's is in run_dir); its reader takes the password from the file.
            let effective = directory + "/run/effective.yaml"
            try FileManager.default.createDirectory(atPath: directory + "/run", withIntermediateDirectories: true)
            try yaml.write(toFile: effective, atomically: true, encoding: .utf8)
            let again = try NodeConfig.load(path: effective)
            #expect(again == config)
            #expect(again.effectiveYAML().replacingOccurrences(of: effective, with: file) == yaml)

            // The file no longer setting it, broken or gone, leaves the password unavailable with the reason,
            // which only the bridge needs: the effective YAML still loads, for every other component.
            for (text, reason) in [
                (ConfigFixture.minimal + "postgres:\n  data_dir: /srv/pg\n", "the file sets no valid postgres.superuser.password"),
                (ConfigFixture.minimal + "postgres:\n  superuser: {password: [x]}\n", "the file sets no valid postgres.superuser.password"),
                ("postgres: [\n", "the file is not valid YAML (line 2)"),
                (nil, "cannot read the configuration file: No such file or directory"),
            ] {
                if let text { try text.write(toFile: file, atomically: true, encoding: .utf8) } else { try FileManager.default.removeItem(atPath: file) }
                let unavailable = try NodeConfig.load(path: effective)
                #expect(unavailable.postgres?.superuser.password == .unavailable(source: file, reason: reason))
                #expect(unavailable.postgres?.replication == config.postgres?.replication)
                #expect(unavailable.effectiveYAML().contains("    password: !not-shown \"\(file)\"  # not available: \(reason)\n"))
            }
        }
    }

    @Test func theEffectiveYAMLOfTextNotFromAFileCannotGiveThePasswordBack() throws {
        let config = try ConfigFixture.parse(ConfigFixture.minimal + "postgres:\n  data_dir: /pg\n  superuser: {password: \"\(Self.secret)\"}\n")
        let yaml = config.effectiveYAML()
        #expect(!yaml.contains(Self.secret))
        #expect(yaml.contains("    password: !not-shown \"\"  # set in that file, not shown\n"))
        let again = try ConfigFixture.parse(yaml)
        #expect(
            again.postgres?.superuser.password
                == .unavailable(source: "", reason: "the file that sets it is unknown (the configuration was not read from a file)"))
    }

    @Test func theEffectiveYAMLOfAFileWithEveryKeyReadsBackToTheSameConfiguration() throws {
        try withTemporaryDirectory { directory in
            let file = directory + "/every.yaml"
            try (ConfigFixture.minimal + """
                postgres:
                  bin_dir: /opt/pg/bin
                  data_dir: "pg dir/main"
                  listen_address: "::"
                  port: 5433
                  connect_address: "[fd00::2]:5433"
                  socket_dir: sockets
                  os_user: pgsql
                  superuser:
                    user: "odd \\"admin\\""
                    password: "\(Self.secret) with: colons # and hashes"
                  replication:
                    user: streamer
                    password_file: ../secrets/replication
                  parameters:
                    shared_buffers: 128MB
                    max_connections: 200
                    jit: false
                    "null": "on"
                    search_path: "'$user', public"
                  pg_hba: ["host all all 10.0.0.0/8 scram-sha-256", "local all \\"odd user\\" peer # comment"]
                  synchronous: off
                  maximum_lag_on_failover: 0
                  use_pg_rewind: false
                  start_timeout_ms: 60000

                """).write(toFile: file, atomically: true, encoding: .utf8)
            let config = try NodeConfig.load(path: file)
            let yaml = config.effectiveYAML()
            #expect(!yaml.contains(Self.secret))
            let copy = directory + "/copy/effective.yaml"
            try FileManager.default.createDirectory(atPath: directory + "/copy", withIntermediateDirectories: true)
            try yaml.write(toFile: copy, atomically: true, encoding: .utf8)
            let again = try NodeConfig.load(path: copy)
            #expect(again == config, "\(yaml)")
            #expect(again.postgres?.synchronous == .off)
            #expect(again.postgres?.parameters["null"] == "on")
            #expect(again.effectiveYAML().replacingOccurrences(of: copy, with: file) == yaml)
        }
    }

    @Test func aChangedPasswordRestartsTheBridgeOnly() throws {
        let base = try ConfigFixture.parse(ConfigFixture.minimal + "postgres:\n  data_dir: /pg\n  superuser: {password: a}\n")
        var new = base
        new.postgres?.superuser.password = .value(PostgresSecret("b", source: ""))
        #expect(new.components.map(\.name).filter { base.settingsFingerprint(for: $0) != new.settingsFingerprint(for: $0) } == ["bridge"])
        var moved = base
        moved.postgres?.superuser.password = .value(PostgresSecret("a", source: "/elsewhere.yaml"))
        #expect(moved == base)
        #expect(moved.settingsFingerprint(for: "bridge") == base.settingsFingerprint(for: "bridge"))
    }

    // MARK: - Helpers

    private func errors(_ yaml: String) -> [String] {
        ConfigFixture.errors(yaml)
    }

    private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "pgraft-pgcfg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }
}

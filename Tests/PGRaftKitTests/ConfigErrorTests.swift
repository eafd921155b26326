import Foundation
import Testing

@testable import PGRaftKit

@Suite("NodeConfig: errors name the file, line, column and what was expected")
struct ConfigErrorTests {
    private func errors(_ yaml: String) -> [String] {
        ConfigFixture.errors(yaml)
    }

    /// The minimal file with `line` appended.
    private func minimalPlus(_ lines: String) -> [String] {
        errors(ConfigFixture.minimal + lines)
    }

    @Test func descriptionForms() {
        #expect(ConfigError(file: "a.yaml", line: 3, column: 7, message: "m").description == "a.yaml:3:7: m")
        #expect(ConfigError(file: "a.yaml", line: 0, column: 0, message: "m").description == "a.yaml: m")
        let load = ConfigLoadError(errors: [
            ConfigError(file: "f", line: 5, column: 1, message: "b"), ConfigError(file: "f", line: 2, column: 9, message: "a"),
            ConfigError(file: "f", line: 5, column: 0, message: "c"), ConfigError(file: "f", line: 0, column: 0, message: "d"),
        ])
        #expect(load.description == "f: d\nf:2:9: a\nf:5:0: c\nf:5:1: b")
    }

    @Test func syntaxErrorsCarryLibyamlsPosition() {
        #expect(errors("cluster_name: demo\n  node_id: 1\n") == [
            "t.yaml:2:10: invalid YAML: mapping values are not allowed in this context"
        ])
        #expect(errors("cluster_name: demo\nnode_id: [1\n") == [
            "t.yaml:3:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 10)"
        ])
        #expect(errors("a: 1\n---\nb: 2\n") == [
            "t.yaml:2:1: the file holds more than one YAML document (a second one starts here); expected exactly one"
        ])
    }

    @Test func emptyFileAndNonMappingTopLevel() {
        let empty = "t.yaml: the file is empty; expected a mapping of settings such as cluster_name, node_id, listen_port, data_dir, run_dir and log_dir"
        #expect(errors("") == [empty])
        #expect(errors("# nothing here\n\n") == [empty])
        #expect(errors("# list\n- a\n- b\n") == ["t.yaml:2:1: the top level must be a mapping of settings (key: value), got a list"])
        #expect(errors("just text\n") == [
            "t.yaml:1:1: the top level must be a mapping of settings (key: value), got string \"just text\""
        ])
    }

    @Test func missingRequiredKeysAreReportedAtTheStart() {
        #expect(errors("# comment\ndebug_enabled: true\n") == [
            "t.yaml:1:1: missing required key 'cluster_name'",
            "t.yaml:1:1: missing required key 'node_id'",
            "t.yaml:1:1: missing required key 'listen_port'",
            "t.yaml:1:1: missing required key 'data_dir'",
            "t.yaml:1:1: missing required key 'run_dir'",
            "t.yaml:1:1: missing required key 'log_dir'",
        ])
    }

    @Test func anInitialClusterStateOtherThanNewOrExistingIsRefused() {
        let errors = minimalPlus("initial_cluster_state: joining\n")
        #expect(errors.count == 1 && errors[0].hasPrefix("t.yaml:7:"), "\(errors)")
        #expect(errors.first?.contains("initial_cluster_state") == true && errors.first?.contains("existing") == true, "\(errors)")
        #expect(minimalPlus("api:\n  max_value_bytes: 0\n").first?.contains("max_value_bytes") == true)
    }

    @Test func unknownKeysSuggestTheClosestKnownOne() {
        #expect(minimalPlus("debug_enabeld: true\n") == ["t.yaml:7:1: unknown key 'debug_enabeld'; did you mean 'debug_enabled'?"])
        #expect(minimalPlus("electionTimeout: 5\n") == ["t.yaml:7:1: unknown key 'electionTimeout'; did you mean 'election_timeout'?"])
        #expect(minimalPlus("log:\n  kep: 3\n") == ["t.yaml:8:3: log: unknown key 'kep'; did you mean 'keep'?"])
        #expect(minimalPlus("api:\n  port: 3\n") == [
            "t.yaml:8:3: api: unknown key 'port'; expected one of: listen_address, listen_port, max_value_bytes, token_file, auth, tls, allow_unauthenticated"
        ])
        #expect(minimalPlus("components:\n  storage:\n    comand: x\n") == [
            "t.yaml:9:5: components.storage: unknown key 'comand'; did you mean 'command'?"
        ])
    }

    @Test func duplicateKeysNameTheFirstDefinition() {
        #expect(minimalPlus("node_id: 2\n") == ["t.yaml:7:1: duplicate key 'node_id' (first defined at line 2)"])
        #expect(minimalPlus("api:\n  listen_port: 1\n  listen_port: 2\nlog:\n  keep: 1\n  keep: 1\n") == [
            "t.yaml:9:3: duplicate key 'listen_port' (first defined at line 8)",
            "t.yaml:12:3: duplicate key 'keep' (first defined at line 11)",
        ])
        #expect(minimalPlus("members:\n  - id: 1\n    address: a:1\n    id: 1\n") == [
            "t.yaml:10:5: duplicate key 'id' (first defined at line 8)"
        ])
        // A duplicate does not hide the other errors of the file.
        #expect(minimalPlus("node_id: 2\nlisten_port: x\n") == [
            "t.yaml:7:1: duplicate key 'node_id' (first defined at line 2)",
            "t.yaml:8:1: duplicate key 'listen_port' (first defined at line 3)",
        ])
        // In a flow mapping too the repeat is named at its own position, and the rest is still checked.
        #expect(errors("{cluster_name: a, cluster_name: b}\n") == [
            "t.yaml:1:1: missing required key 'node_id'",
            "t.yaml:1:1: missing required key 'listen_port'",
            "t.yaml:1:1: missing required key 'data_dir'",
            "t.yaml:1:1: missing required key 'run_dir'",
            "t.yaml:1:1: missing required key 'log_dir'",
            "t.yaml:1:19: duplicate key 'cluster_name' (first defined at line 1)",
        ])
    }

    @Test func duplicateKeysInNestedBlocksCRLFAndBlockScalars() {
        let nested = """
            components:
              x:
                command: a
                args:
                  - a
                command: b
              y:
                command: |
                  foo: 1
                  foo: 2

            """
        #expect(minimalPlus(nested) == ["t.yaml:12:5: duplicate key 'command' (first defined at line 9)"])
        let crlf = ConfigFixture.minimal.replacingOccurrences(of: "\n", with: "\r\n") + "node_id: 1\r\n"
        #expect(errors(crlf) == ["t.yaml:7:1: duplicate key 'node_id' (first defined at line 2)"])
    }

    @Test func duplicateKeysInSequencesOfMappingsAndFlowMappingsAtTheirOwnPosition() {
        #expect(minimalPlus("members:\n  - id: 1\n    address: a:1\n  - id: 2\n    address: b:1\n    address: c:1\n") == [
            "t.yaml:12:5: duplicate key 'address' (first defined at line 11)"
        ])
        #expect(minimalPlus("members: [{id: 1, address: \"a:1\", id: 1}]\n") == [
            "t.yaml:7:35: duplicate key 'id' (first defined at line 7)"
        ])
        let nested = """
            components:
              x:
                command: a
                env: {A: "1", B: "2", A: "3"}
                env:
                  C: "4"

            """
        #expect(minimalPlus(nested) == [
            "t.yaml:10:27: duplicate key 'A' (first defined at line 10)",
            "t.yaml:11:5: duplicate key 'env' (first defined at line 10)",
        ])
    }

    @Test func aliasesStandForTheirAnchorsNodeAtTheAliasPosition() throws {
        let shared = """
            components:
              a:
                command: a
                env: &common {LEVEL: "3"}
              b:
                command: b
                env: *common

            """
        let config = try ConfigFixture.parse(ConfigFixture.minimal + shared)
        #expect(config.component(named: "b")?.env == ["LEVEL": "3"])
        // An error about the aliased value itself points at the alias; one inside it, at the anchored text.
        #expect(minimalPlus("peer_timeout: &t 5\nheartbeat_interval: *t\nelection_timeout: *t\n") == [
            "t.yaml:9:19: election_timeout: 5 must be at least 2 × heartbeat_interval (5) = 10"
        ])
        #expect(minimalPlus("log: &l {keep: 2}\napi: *l\n") == [
            "t.yaml:7:10: api: unknown key 'keep'; expected one of: listen_address, listen_port, max_value_bytes, token_file, auth, tls, allow_unauthenticated"
        ])
        #expect(minimalPlus("peer_timeout: *nothing\n") == [
            "t.yaml:7:15: invalid YAML: the alias '*nothing' has no anchor '&nothing' defined before it"
        ])
        // YAML 1.1 merge keys are not YAML 1.2: `<<` is an ordinary, unknown key.
        #expect(minimalPlus("api: &a {listen_port: 9000}\nlog:\n  <<: *a\n") == [
            "t.yaml:9:3: log: unknown key '<<'; expected one of: max_bytes, keep"
        ])
    }

    @Test func emptyDocumentsAndDocumentsThatAreNotMappings() {
        let empty = "t.yaml: the file is empty; expected a mapping of settings such as cluster_name, node_id, listen_port, data_dir, run_dir and log_dir"
        for text in ["---\n", "--- ~\n", "---\n...\n", "null\n", "&anchor\n"] {
            #expect(errors(text) == [empty], "\(text.debugDescription)")
        }
        #expect(errors("--- 5\n") == ["t.yaml:1:5: the top level must be a mapping of settings (key: value), got integer 5"])
        #expect(errors("[cluster_name, node_id]\n") == [
            "t.yaml:1:1: the top level must be a mapping of settings (key: value), got a list"
        ])
        #expect(errors("\"cluster_name: demo\"\n") == [
            "t.yaml:1:1: the top level must be a mapping of settings (key: value), got string \"cluster_name: demo\""
        ])
    }

    @Test func libyamlErrorsCarryTheirPosition() {
        #expect(errors("cluster_name: \"demo\nnode_id: 1\n") == [
            "t.yaml:3:1: invalid YAML: found unexpected end of stream (while scanning a quoted scalar at line 1, column 15)"
        ])
        #expect(errors("cluster_name: demo\nnode_id: @1\n") == [
            "t.yaml:2:10: invalid YAML: found character that cannot start any token (while scanning for the next token at line 2, column 10)"
        ])
        // Columns count characters, not bytes, also for libyaml's reader errors (given as a byte offset).
        #expect(errors("cluster_name: ééé: x\n") == ["t.yaml:1:18: invalid YAML: mapping values are not allowed in this context"])
        #expect(errors("cluster_name: éé\u{01}\n") == ["t.yaml:1:17: invalid text: control characters are not allowed"])
        // Repeated keys before a syntax error are reported with it.
        #expect(errors("a: 1\na: 2\nb: [\n") == [
            "t.yaml:2:1: duplicate key 'a' (first defined at line 1)",
            "t.yaml:4:1: invalid YAML: did not find expected node content (while parsing a flow node at line 4, column 1)",
        ])
    }

    @Test func tabsAndByteOrderMark() {
        #expect(errors("cluster_name: x\n\tnode_id: 1\n") == [
            "t.yaml:2:1: invalid YAML: a tab character; YAML must be indented with spaces"
        ])
        #expect(errors("\u{FEFF}" + ConfigFixture.minimal) == [])
        #expect(errors("\u{FEFF}cluster_name: x y\n").last == "t.yaml:1:15: cluster_name: \"x y\" is not a valid cluster name; expected 1–63 characters of A-Z, a-z, 0-9, '_', '.' and '-'")
    }

    @Test func wrongTypes() {
        let file = """
            cluster_name: [demo]
            node_id: 1.5
            listen_port: abc
            data_dir: ~
            run_dir: {a: 1}
            log_dir: l
            debug_enabled: yes
            peer_timeout: "10"
            max_log_entries: true
            log: 5

            """
        #expect(errors(file) == [
            "t.yaml:1:15: cluster_name: expected a string, got a list",
            "t.yaml:2:10: node_id: expected an integer, got float 1.5",
            "t.yaml:3:14: listen_port: expected an integer, got string \"abc\"",
            "t.yaml:4:11: data_dir: expected a string, got null",
            "t.yaml:5:10: run_dir: expected a string, got a mapping",
            "t.yaml:7:16: debug_enabled: expected true or false, got string \"yes\"",
            "t.yaml:8:15: peer_timeout: expected an integer, got string \"10\"",
            "t.yaml:9:18: max_log_entries: expected an integer, got boolean true",
            "t.yaml:10:6: log: expected a mapping, got integer 5",
        ])
    }

    @Test func outOfRange() {
        let file = """
            cluster_name: demo
            node_id: 0
            listen_port: 70000
            data_dir: d
            run_dir: r
            log_dir: l
            peer_timeout: 600001
            heartbeat_interval: 0
            max_log_entries: -3
            health_period_ms: 9
            election_timeout: 99999999999999999999
            log:
              max_bytes: 4095
              keep: 101
            supervisor:
              heartbeat_misses: 1001
              restart_intensity: 0

            """
        #expect(errors(file) == [
            "t.yaml:2:10: node_id: 0 is out of range 1–2147483647",
            "t.yaml:3:14: listen_port: 70000 is out of range 1–65535",
            "t.yaml:7:15: peer_timeout: 600001 is out of range 1–600000",
            "t.yaml:8:21: heartbeat_interval: 0 is out of range 1–60000",
            "t.yaml:9:18: max_log_entries: -3 is out of range; expected at least 1",
            "t.yaml:10:19: health_period_ms: 9 is out of range 10–60000",
            "t.yaml:11:19: election_timeout: 99999999999999999999 is out of range 1–600000",
            "t.yaml:13:14: log.max_bytes: 4095 is out of range; expected at least 4096",
            "t.yaml:14:9: log.keep: 101 is out of range 1–100",
            "t.yaml:16:21: supervisor.heartbeat_misses: 1001 is out of range 1–1000",
            "t.yaml:17:22: supervisor.restart_intensity: 0 is out of range; expected at least 1",
        ])
    }

    @Test func invalidNamesAndAddresses() {
        #expect(errors(ConfigFixture.minimal.replacingOccurrences(of: "cluster_name: demo", with: "cluster_name: my cluster")) == [
            "t.yaml:1:15: cluster_name: \"my cluster\" is not a valid cluster name; expected 1–63 characters of A-Z, a-z, 0-9, '_', '.' and '-'"
        ])
        #expect(minimalPlus("listen_address: \"a b\"\n") == [
            "t.yaml:7:17: listen_address: expected a host name or IP address, got \"a b\""
        ])
        #expect(minimalPlus("api:\n  listen_address: \"\"\n") == [
            "t.yaml:8:19: api.listen_address: expected a host name or IP address, got \"\""
        ])
    }

    @Test func electionTimeoutMustBeTwiceTheHeartbeat() {
        #expect(minimalPlus("heartbeat_interval: 100\nelection_timeout: 150\n") == [
            "t.yaml:8:19: election_timeout: 150 must be at least 2 × heartbeat_interval (100) = 200"
        ])
        #expect(minimalPlus("heartbeat_interval: 600\n") == [
            "t.yaml:7:21: election_timeout: 1000 (the default) must be at least 2 × heartbeat_interval (600) = 1200"
        ])
    }

    @Test func members() {
        let file = """
            members:
              - id: 1
                address: 127.0.0.1:7001
              - id: 2
                address: 127.0.0.1
              - id: 1
                address: "[::1]:70000"
              - address: ::1:7004
              - 5
              - {id: 6, address: "host:7006", port: 1}

            """
        #expect(minimalPlus(file) == [
            "t.yaml:11:14: members[1].address: expected \"host:port\" (IPv6 as \"[::1]:7001\"), got \"127.0.0.1\"",
            "t.yaml:12:9: members[2].id: duplicate member id 1 (first used at line 8)",
            "t.yaml:13:14: members[2].address: port 70000 is out of range 1–65535",
            "t.yaml:14:5: members[3]: missing required key 'id'",
            "t.yaml:14:14: members[3].address: expected \"host:port\" (IPv6 as \"[::1]:7001\"), got \"::1:7004\"",
            "t.yaml:15:5: members[4]: expected a mapping {id: <node id>, address: \"host:port\"}, got integer 5",
            "t.yaml:16:35: members[5]: unknown key 'port'; expected one of: id, address",
        ])
        #expect(minimalPlus("members:\n  - id: 2\n    address: h:1\n") == [
            "t.yaml:7:1: members: node_id 1 is not among the members (ids 2); the list must contain this node"
        ])
        #expect(minimalPlus("members: []\n") == ["t.yaml:7:10: members: the list is empty; it must contain at least this node (id 1)"])
        #expect(minimalPlus("members: {id: 1}\n") == [
            "t.yaml:7:10: members: expected a list of {id, address} mappings, got a mapping"
        ])
    }

    @Test func components() {
        let file = """
            components:
              Backup: {command: x}
              backup:
                args: [a]
              agent:
                command: agent
                watchdog: true
              tool:
                command: tool
                restart: sometimes
                readiness: segment
                enabled: "no"
                args: a
                env: {A: [1]}
              storage:
                readiness: started
                watchdog: true
                stop_timeout_ms: 0
              a-very-long-component-name-over-31:
                command: x

            """
        #expect(minimalPlus(file) == [
            "t.yaml:8:3: components: invalid component name 'Backup'; expected 1–31 characters of a-z, 0-9, '_' and '-'",
            "t.yaml:9:3: components.backup: missing required key 'command' (an operator component needs the executable to run; built-ins are storage, consensus, transport, bridge, api)",
            "t.yaml:13:15: components.agent.watchdog: a component with readiness 'started' cannot have a watchdog (it does not heartbeat in the segment); set readiness: segment or watchdog: false",
            "t.yaml:16:14: components.tool.restart: expected one of always, on-failure, never; got string \"sometimes\"",
            "t.yaml:18:14: components.tool.enabled: expected true or false, got string \"no\"",
            "t.yaml:19:11: components.tool.args: expected a list of strings, got string \"a\"",
            "t.yaml:20:14: components.tool.env.A: expected a string, got a list",
            "t.yaml:23:15: components.storage.watchdog: a component with readiness 'started' cannot have a watchdog (it does not heartbeat in the segment); set readiness: segment or watchdog: false",
            "t.yaml:24:22: components.storage.stop_timeout_ms: 0 is out of range 1–3600000",
            "t.yaml:25:3: components: invalid component name 'a-very-long-component-name-over-31'; expected 1–31 characters of a-z, 0-9, '_' and '-'",
        ])
    }

    @Test func crossChecks() {
        #expect(minimalPlus("api:\n  listen_port: 7001\n") == [
            "t.yaml:8:16: api.listen_port: 7001 is also listen_port on 127.0.0.1; the peer listener and the HTTP API need different ports"
        ])
        #expect(errors(ConfigFixture.minimal.replacingOccurrences(of: "listen_port: 7001", with: "listen_port: 8008")) == [
            "t.yaml:3:14: api.listen_port: 8008 is also listen_port on 127.0.0.1; the peer listener and the HTTP API need different ports"
        ])
        let waived = "allow_unauthenticated_peers: true\n"
        #expect(minimalPlus(waived + "listen_address: 0.0.0.0\napi:\n  listen_address: 10.1.1.1\n  listen_port: 7001\n  allow_unauthenticated: true\n") == [
            "t.yaml:11:16: api.listen_port: 7001 is also listen_port on 10.1.1.1; the peer listener and the HTTP API need different ports"
        ])
        #expect(minimalPlus(waived + "listen_address: 10.0.0.1\napi:\n  listen_address: 10.1.1.1\n  listen_port: 7001\n  allow_unauthenticated: true\n") == [])
        #expect(minimalPlus("supervisor:\n  backoff_initial_ms: 20000\n") == [
            "t.yaml:8:23: supervisor.backoff_max_ms: 10000 must be at least backoff_initial_ms (20000)"
        ])
        let longRun = String(repeating: "r", count: 91)  // "/<91>/consensus.sock" is exactly 107 bytes
        #expect(errors(ConfigFixture.minimal.replacingOccurrences(of: "run_dir: run/node1", with: "run_dir: /\(longRun)")) == [])
        let tooLong = String(repeating: "r", count: 92)
        #expect(errors(ConfigFixture.minimal.replacingOccurrences(of: "run_dir: run/node1", with: "run_dir: /\(tooLong)")) == [
            "t.yaml:5:10: run_dir: \"/\(tooLong)\" is too long: the socket path \"/\(tooLong)/consensus.sock\" is 108 bytes, a Unix socket path allows at most 107"
        ])
    }

    @Test func allErrorsAreReportedSortedByPosition() {
        let file = """
            node_id: x
            listen_port: 0
            cluster_nam: demo
            data_dir: d
            run_dir: r
            log_dir: l
            api: {listen_port: 0}
            components:
              backup: {}

            """
        #expect(errors(file) == [
            "t.yaml:1:1: missing required key 'cluster_name'",
            "t.yaml:1:10: node_id: expected an integer, got string \"x\"",
            "t.yaml:2:14: listen_port: 0 is out of range 1–65535",
            "t.yaml:3:1: unknown key 'cluster_nam'; did you mean 'cluster_name'?",
            "t.yaml:7:20: api.listen_port: 0 is out of range 1–65535",
            "t.yaml:9:3: components.backup: missing required key 'command' (an operator component needs the executable to run; built-ins are storage, consensus, transport, bridge, api)",
        ])
    }
}

import Foundation
import PGRaftKit
import PGRaftPostgres
import Testing

@testable import pgraft_bridge

/// `PostgresServerSpec(config:)`: the bridge's spec from the postgres section, password files read
/// when it is made.
@Suite struct PostgresServerSpecConfigTests {
    private static let base = """
        cluster_name: demo
        node_id: 3
        listen_port: 7003
        data_dir: data
        run_dir: run
        log_dir: log

        """

    /// A password the errors must not show.
    private static let secret = "s3cret-never-shown"

    @Test func everySettingIsMappedAndThePassfileLivesInRunDir() throws {
        try withTemporaryDirectory { directory in
            try "\(Self.secret)-replication\r\nsecond line\n".write(toFile: directory + "/replication.pw", atomically: true, encoding: .utf8)
            let config = try parse(
                """
                postgres:
                  bin_dir: /opt/pg/bin
                  data_dir: pg
                  listen_address: "*"
                  port: 5433
                  connect_address: db-3:5433
                  socket_dir: sockets
                  os_user: pgsql
                  superuser: {user: admin, password: "\(Self.secret)"}
                  replication: {user: streamer, password_file: replication.pw}
                  parameters: {work_mem: 8MB}
                  pg_hba: ["host all all 10.0.0.0/8 scram-sha-256"]
                  start_timeout_ms: 45000
                """, in: directory)
            let spec = try PostgresServerSpec(config: config)
            #expect(
                spec
                    == PostgresServerSpec(
                        binDirectory: "/opt/pg/bin", dataDirectory: directory + "/pg", listenAddress: "*", port: 5433,
                        socketDirectory: directory + "/sockets", osUser: "pgsql", superuser: "admin", superuserPassword: Self.secret,
                        replicationUser: "streamer", replicationPassword: Self.secret + "-replication", parameters: ["work_mem": "8MB"],
                        hbaLines: ["host all all 10.0.0.0/8 scram-sha-256"], startTimeoutMs: 45_000, nodeID: 3,
                        privateDirectory: directory + "/run/bridge"))
        }
    }

    @Test func theDefaultsGiveNoPasswordsAndTheSocketInRunDir() throws {
        try withTemporaryDirectory { directory in
            let spec = try PostgresServerSpec(config: try parse("postgres:\n  data_dir: pg\n", in: directory))
            #expect(spec.binDirectory == "/usr/lib/postgresql/15/bin")
            #expect(spec.socketDirectory == directory + "/run")
            #expect(spec.superuser == "postgres" && spec.superuserPassword == nil)
            #expect(spec.replicationUser == "pgraft_replication" && spec.replicationPassword == nil)
            #expect(spec.startTimeoutMs == 30_000)
            #expect(spec.syncToDisk)
        }
    }

    @Test func anUnusablePasswordFileIsAnErrorNamingTheSettingAndTheFile() throws {
        try withTemporaryDirectory { directory in
            try "".write(toFile: directory + "/empty.pw", atomically: true, encoding: .utf8)
            try "\n\(Self.secret)\n".write(toFile: directory + "/blank.pw", atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: directory + "/dir.pw", withIntermediateDirectories: true)
            let cases = [
                ("missing.pw", "postgres.superuser.password_file: cannot read \(directory)/missing.pw: No such file or directory"),
                ("dir.pw", "postgres.superuser.password_file: cannot read \(directory)/dir.pw: Is a directory"),
                ("empty.pw", "postgres.superuser.password_file: \(directory)/empty.pw: the first line, the password, is empty"),
                ("blank.pw", "postgres.superuser.password_file: \(directory)/blank.pw: the first line, the password, is empty"),
            ]
            for (file, message) in cases {
                let config = try parse("postgres:\n  data_dir: pg\n  superuser: {password_file: \(file)}\n", in: directory)
                let error = #expect(throws: PostgresError.self) { try PostgresServerSpec(config: config) }
                #expect(error?.code == .environment)
                #expect(error?.description == message)
                #expect(error?.description.contains(Self.secret) == false)
            }
        }
    }

    @Test func aPasswordTheEffectiveYAMLCannotGiveBackStopsTheBridgeWithItsFile() throws {
        try withTemporaryDirectory { directory in
            let source = directory + "/node.yaml"
            try (Self.base + "postgres:\n  data_dir: pg\n  replication:\n    password: \"\(Self.secret)\"\n")
                .write(toFile: source, atomically: true, encoding: .utf8)
            let effective = directory + "/effective.yaml"
            try NodeConfig.load(path: source).effectiveYAML().write(toFile: effective, atomically: true, encoding: .utf8)
            #expect(try PostgresServerSpec(config: NodeConfig.load(path: effective)).replicationPassword == Self.secret)
            try FileManager.default.removeItem(atPath: source)
            let config = try NodeConfig.load(path: effective)
            #expect(throws: PostgresError(
                .environment, setting: "postgres.replication.password",
                "not shown in the effective configuration, and cannot be taken from \(source): cannot read the configuration file: No such file or directory")) {
                try PostgresServerSpec(config: config)
            }
        }
    }

    @Test func aNodeWithoutPostgresHasNoSpec() throws {
        try withTemporaryDirectory { directory in
            #expect(throws: PostgresError(.environment, setting: "postgres", "the configuration has no postgres section")) {
                try PostgresServerSpec(config: try parse("", in: directory))
            }
        }
    }

    // MARK: - Helpers

    /// The base file with `postgres` appended, read as if it were `<directory>/node.yaml`.
    private func parse(_ postgres: String, in directory: String) throws -> NodeConfig {
        try NodeConfig.parse(yaml: Self.base + postgres, file: "node.yaml", baseDirectory: directory)
    }

    private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "pgraft-spec-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }
}

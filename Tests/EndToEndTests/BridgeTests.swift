import Foundation
import PGRaftKit
import PGRaftTestSupport
import Testing

extension EndToEnd {
    /// The bridge against a real PostgreSQL 15 (the throwaway server's socket and port as the
    /// postgres section's): connects, reports version and role, survives restarts of the server.
    @Suite final class BridgeTests {
        @Test func theBridgeConnectsLogsTheServerAndReconnectsAfterPostgresComesBack() throws {
            let postgres = try LocalPostgres()
            defer { postgres.cleanUp() }
            try postgres.start()
            let node = try NodeSandbox(
                extra: """
                    postgres:
                      bin_dir: "\(LocalPostgres.binDirectory)"
                      data_dir: "\(postgres.dataDirectory)"
                      port: \(postgres.port)
                      socket_dir: "\(postgres.directory)"
                    """)
            defer { node.cleanUp() }
            try node.start()
            #expect(node.waitAllRunning(timeout: 60))
            let logPath = node.directory + "/log/bridge.log"
            func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
            func connections() -> Int { log().components(separatedBy: "connected to PostgreSQL").count - 1 }

            #expect(node.waitUntil(timeout: 20) { connections() == 1 }, "\(log())")
            #expect(log().contains("server_version=15."))
            #expect(log().contains("in_recovery=false"))
            #expect(log().contains("role=primary"))

            let bridgePid = node.component("bridge")?.pid
            try postgres.stop()
            #expect(node.waitUntil(timeout: 20) { log().contains("lost the connection to PostgreSQL") }, "\(log())")
            #expect(node.waitUntil(timeout: 20) { log().contains("cannot connect to PostgreSQL") }, "\(log())")
            try postgres.start()
            #expect(node.waitUntil(timeout: 30) { connections() == 2 }, "\(log())")
            // Reconnecting is the bridge's own job: the process was never restarted.
            #expect(node.component("bridge")?.pid == bridgePid)
            #expect(node.component("bridge")?.restarts == 0)
        }

        @Test func passwordsReachTheBridgeButNoFileItWritesAndAnUnreadableOneNamesItsFile() throws {
            let postgres = try LocalPostgres()
            defer { postgres.cleanUp() }
            try postgres.start()
            let secret = "e2e-\(UUID().uuidString)"
            let node = try NodeSandbox(
                extra: """
                    postgres:
                      bin_dir: "\(LocalPostgres.binDirectory)"
                      data_dir: "\(postgres.dataDirectory)"
                      port: \(postgres.port)
                      socket_dir: "\(postgres.directory)"
                      superuser:
                        password_file: superuser.password
                      replication:
                        password: "\(secret)"
                    """)
            defer { node.cleanUp() }
            try node.start()
            let logDirectory = node.directory + "/log"
            func log() -> String { (try? String(contentsOfFile: logDirectory + "/bridge.log", encoding: .utf8)) ?? "" }

            // No password file yet: the bridge stops with the setting and the file, and is restarted.
            let missing = "postgres.superuser.password_file: cannot read \(node.directory)/superuser.password: No such file or directory"
            #expect(node.waitUntil(timeout: 20) { log().contains(missing) }, "\(log())")
            // The effective configuration pgraftd hands the components names the file instead of the password.
            let effective = (try? String(contentsOfFile: node.directory + "/run/effective.yaml", encoding: .utf8)) ?? ""
            #expect(effective.contains("password: !not-shown \"\(node.configPath)\""), "\(effective)")
            #expect(!effective.contains(secret))

            // With the file, the restarted bridge gets both passwords (the one in the YAML from the YAML) and connects.
            try "\(secret)-superuser\n".write(toFile: node.directory + "/superuser.password", atomically: true, encoding: .utf8)
            #expect(node.waitUntil(timeout: 30) { log().contains("connected to PostgreSQL") }, "\(log())")
            #expect((node.component("bridge")?.restarts ?? 0) >= 1)
            let logs = (try? FileManager.default.contentsOfDirectory(atPath: logDirectory)) ?? []
            for file in logs + ["../pgraftd.out"] {
                let text = (try? String(contentsOfFile: logDirectory + "/" + file, encoding: .utf8)) ?? ""
                #expect(!text.contains(secret), "\(file)")
            }
        }
    }
}

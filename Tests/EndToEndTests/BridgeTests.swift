import Foundation
import PGRaftKit
import PGRaftTestSupport
import Testing

extension EndToEnd {
    /// The bridge against a real PostgreSQL 15: connects, reports version and role, survives restarts of the server.
    @Suite final class BridgeTests {
        @Test func theBridgeConnectsLogsTheServerAndReconnectsAfterPostgresComesBack() throws {
            let postgres = try LocalPostgres()
            defer { postgres.cleanUp() }
            try postgres.start()
            let node = try NodeSandbox(
                extra: """
                    postgres:
                      conninfo: "\(postgres.conninfo)"
                      reconnect_initial_ms: 50
                      reconnect_max_ms: 200
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
    }
}

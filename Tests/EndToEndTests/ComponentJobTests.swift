import Foundation
import PGRaftKit
import PGRaftTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// What each component already does of its own job, seen from outside.
    @Suite final class ComponentJobTests {
        /// Gives up fast, so that a component that cannot work ends the node quickly.
        static let impatient = """
            supervisor:
              restart_intensity: 2
              restart_period_s: 60
              backoff_initial_ms: 10
              backoff_max_ms: 20
            """

        var sandboxes: [NodeSandbox] = []

        deinit {
            sandboxes.forEach { $0.cleanUp() }
        }

        func node(extra: String = "") throws -> NodeSandbox {
            let node = try NodeSandbox(extra: extra)
            sandboxes.append(node)
            return node
        }

        @Test func theAPIAnswersHealthAndNodeAndRefusesWhatItDoesNotServe() throws {
            let node = try node()
            try node.start()
            #expect(node.waitAllRunning(timeout: 60))
            let health = try HTTP.get(port: node.apiPort, path: "/health")
            #expect(health.status == 200)
            #expect(health.headers["content-type"] == "application/json")
            let view = try HTTP.get(port: node.apiPort, path: "/v1/node")
            #expect(view.status == 200)
            let object = try JSONSerialization.jsonObject(with: Data(view.body.utf8)) as! [String: Any]
            #expect(object["node_id"] as? Int == 1)
            #expect(object["cluster_name"] as? String == node.clusterName)
            let components = object["components"] as! [[String: Any]]
            #expect(components.map { $0["name"] as? String } == ["storage", "consensus", "transport", "bridge", "api"])
            #expect(components.allSatisfy { $0["state"] as? String == "RUNNING" && ($0["pid"] as? Int ?? 0) > 0 })
            let missing = try HTTP.get(port: node.apiPort, path: "/v2/nothing")
            #expect(missing.status == 404)
            #expect(missing.body.contains("\"error\""))
            let wrongMethod = try HTTP.request(port: node.apiPort, method: "POST", path: "/health", body: "{}")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.headers["allow"] == "GET, HEAD")
        }

        @Test func consensusServesItsSocket() throws {
            let node = try node()
            try node.start()
            #expect(node.waitAllRunning(timeout: 60))
            let fd = try UnixSocket.connect(path: node.directory + "/run/consensus.sock")
            defer { close(fd) }
            try UnixSocket.writeAll(fd, Frame(type: ConsensusFrameType.ping, payload: [42]).encoded())
            var decoder = FrameDecoder()
            var buffer = [UInt8](repeating: 0, count: 64)
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var reply: Frame?
            while reply == nil {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                decoder.feed(buffer[0..<n])
                reply = try decoder.next()
            }
            #expect(reply == Frame(type: ConsensusFrameType.pong, payload: [42]))
        }

        @Test func aSecondNodeOnTheSameDataDirectoryIsRefusedClearly() throws {
            let first = try node()
            try first.start()
            #expect(first.waitAllRunning(timeout: 60))
            let second = try node(extra: Self.impatient)
            try second.write(yaml: second.readYAML().replacingOccurrences(of: "data_dir: data", with: "data_dir: \(first.directory)/data"))
            try second.start()
            second.process!.waitUntilExit()
            #expect(second.process!.terminationStatus == 2)
            let log = try String(contentsOfFile: second.directory + "/log/storage.log", encoding: .utf8)
            #expect(log.contains("data_dir \(first.directory)/data is locked by another process (pid "), "\(log)")
            #expect(second.supervisorOutput.contains("restart intensity exceeded"))
            #expect(first.status()?.components.allSatisfy { $0.state == "RUNNING" } == true)
        }

        @Test func aPeerPortInUseFailsClearlyUnderTheRestartPolicy() throws {
            let node = try node(extra: Self.impatient)
            let blocker = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(blocker) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(node.listenPort).bigEndian
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(blocker, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            #expect(bound && listen(blocker, 1) == 0)
            try node.start()
            node.process!.waitUntilExit()
            #expect(node.process!.terminationStatus == 2)
            let log = try String(contentsOfFile: node.directory + "/log/transport.log", encoding: .utf8)
            #expect(log.contains("cannot listen on 127.0.0.1:\(node.listenPort) (listen_address/listen_port): address already in use"), "\(log)")
        }

        @Test func anOperatorPluginRunsAndADisabledComponentDoesNot() throws {
            let node = try node(
                extra: """
                    components:
                      bridge:
                        enabled: false
                      sleeper:
                        command: /bin/sleep
                        args: ["3600"]
                    """)
            try node.start()
            #expect(node.waitAllRunning(timeout: 60), "\(node.supervisorOutput)")
            let status = try #require(node.status())
            #expect(status.components.map(\.name) == ["storage", "consensus", "transport", "bridge", "api", "sleeper"])
            #expect(status.components.first { $0.name == "bridge" }?.state == "DISABLED")
            #expect(status.components.first { $0.name == "bridge" }?.pid == nil)
            let sleeper = try #require(status.components.first { $0.name == "sleeper" })
            #expect(sleeper.state == "RUNNING")
            let cmdline = try String(contentsOfFile: "/proc/\(sleeper.pid!)/cmdline", encoding: .utf8)
            #expect(cmdline.hasPrefix("/bin/sleep\u{0}3600"))
            kill(sleeper.pid!, SIGKILL)
            #expect(node.waitUntil(timeout: 20) { node.component("sleeper")?.restarts == 1 && node.component("sleeper")?.state == "RUNNING" })
        }
    }
}

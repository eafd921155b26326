import Foundation
import PGRaftKit
import PGRaftTestSupport
import Testing
import PGRaftBytes

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// What each component already does of its own job, seen from outside.
    @Suite final class ComponentJobTests {
        /// Gives up fast, so that a component that cannot work ends the node quickly.
        static let impatient = [
            "restart_intensity": "2", "restart_period_s": "60", "backoff_initial_ms": "10", "backoff_max_ms": "20",
        ]

        var sandboxes: [NodeSandbox] = []

        deinit {
            sandboxes.forEach { $0.cleanUp() }
        }

        func node(extra: String = "", supervisor: [String: String] = [:]) throws -> NodeSandbox {
            let node = try NodeSandbox(extra: extra, supervisor: supervisor)
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
            let second = try node(supervisor: Self.impatient)
            try second.write(yaml: second.readYAML().replacingOccurrences(of: "data_dir: data", with: "data_dir: \(first.directory)/data"))
            try second.start()
            second.process!.waitUntilExit()
            #expect(second.process!.terminationStatus == 2)
            let log = try String(contentsOfFile: second.directory + "/log/storage.log", encoding: .utf8)
            #expect(log.contains("data_dir \(first.directory)/data is locked by another process (pid "), "\(log)")
            #expect(second.supervisorOutput.contains("restart intensity exceeded"))
            #expect(first.status()?.components.allSatisfy { $0.state == "RUNNING" } == true)
        }

        @Test func damageInTheLogLeavesStorageFailedUntilTheOperatorRestartsIt() throws {
            let node = try node()
            try node.start()
            #expect(node.waitAllRunning(timeout: 60))
            func put(_ i: Int) -> Int? {
                try? HTTP.request(port: node.apiPort, method: "PUT", path: "/v1/kv/key\(i)", body: "value \(i)").status
            }
            // The first write waits for the node to elect itself.
            #expect(node.waitUntil(timeout: 30) { put(0) == 200 })
            for i in 1..<40 { #expect(put(i) == 200) }
            #expect(node.stop() == 0)
            // A flipped bit in the middle of the records of the only segment.
            let dataDir = node.directory + "/data"
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dataDir).first { $0.hasPrefix("wal-") })
            let path = dataDir + "/" + name
            let original = [UInt8](try #require(FileManager.default.contents(atPath: path)))
            let recordsEnd = try #require(original.lastIndex { $0 != 0 })
            var damaged = original
            damaged[recordsEnd / 2] ^= 0x04
            #expect(FileManager.default.createFile(atPath: path, contents: Data(damaged)))

            try node.start()
            #expect(node.waitUntil(timeout: 30) { node.component("storage")?.state == "FAILED" }, "\(node.supervisorOutput)")
            let storage = try #require(node.component("storage"))
            #expect(storage.restarts == 0)
            #expect(storage.lastExit == "exit \(ComponentRuntime.permanentFailure)")
            #expect(node.component("consensus")?.state == "IDLE")
            let log = try String(contentsOfFile: node.directory + "/log/storage.log", encoding: .utf8)
            #expect(log.contains("\(path) at offset "), "\(log)")
            #expect(node.supervisorOutput.contains("storage reported damage a restart cannot repair; it stays FAILED"))
            #expect([UInt8](try #require(FileManager.default.contents(atPath: path))) == damaged)
            // Restarting without a repair fails at once and says so; after the repair it runs again.
            let again = try node.ctl(["restart", "storage"])
            #expect(again.status != 0)
            #expect(again.stderr.contains("storage failed again (exit \(ComponentRuntime.permanentFailure)) and stays FAILED"), "\(again.stderr)")
            #expect(FileManager.default.createFile(atPath: path, contents: Data(original)))
            let repaired = try node.ctl(["restart", "storage"])
            #expect(repaired.status == 0, "\(repaired.stderr)")
            #expect(node.waitAllRunning(timeout: 60))
            #expect(node.waitUntil(timeout: 30) { (try? HTTP.get(port: node.apiPort, path: "/v1/kv/key39"))?.body.contains("value 39") == true })
        }

        @Test func aPeerPortInUseFailsClearlyUnderTheRestartPolicy() throws {
            let node = try node(supervisor: Self.impatient)
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
            // RUNNING as soon as it is spawned (readiness: started): pgraft-exec may not have executed
            // the command yet.
            var cmdline = ""
            #expect(node.waitUntil(timeout: 10) {
                cmdline = (try? String(contentsOfFile: "/proc/\(sleeper.pid!)/cmdline", encoding: .utf8)) ?? ""
                return cmdline.hasPrefix("/bin/sleep\u{0}3600")
            }, "\(cmdline)")
            kill(sleeper.pid!, SIGKILL)
            #expect(node.waitUntil(timeout: 20) { node.component("sleeper")?.restarts == 1 && node.component("sleeper")?.state == "RUNNING" })
        }
    }
}

extension EndToEnd {
    /// Components added, removed, disabled and enabled again by a reload; operator plugins and
    /// whatever they start never outlive their process.
    @Suite final class PluginLifecycleTests {
        var sandboxes: [NodeSandbox] = []

        deinit {
            sandboxes.forEach { $0.cleanUp() }
        }

        static func sleeper(_ name: String) -> String {
            "  \(name):\n    command: /bin/sleep\n    args: [\"3600\"]\n"
        }

        func nodeView(_ node: NodeSandbox) throws -> [String: String] {
            let body = try HTTP.get(port: node.apiPort, path: "/v1/node").body
            let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
            let components = object["components"] as! [[String: Any]]
            return Dictionary(uniqueKeysWithValues: components.map { ($0["name"] as! String, $0["state"] as! String) })
        }

        @Test func reloadAddsRemovesDisablesAndReenablesComponents() throws {
            let node = try NodeSandbox(extra: "components:\n" + Self.sleeper("alpha"))
            sandboxes.append(node)
            try node.start()
            #expect(node.waitAllRunning(timeout: 60))
            let base = try node.readYAML().components(separatedBy: "components:\n")[0]
            let alphaPid = try #require(node.component("alpha")?.pid)

            // Remove alpha, add beta, disable bridge.
            try node.write(yaml: base + "components:\n  bridge:\n    enabled: false\n" + Self.sleeper("beta"))
            let first = try node.ctl(["reload"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(node.waitUntil(timeout: 20) {
                guard let status = node.status() else { return false }
                return status.components.map(\.name) == ["storage", "consensus", "transport", "bridge", "api", "beta"]
                    && node.component("bridge")?.state == "DISABLED" && node.component("beta")?.state == "RUNNING"
            }, "\(node.status().map { "\($0.components)" } ?? "no status")")
            #expect(kill(alphaPid, 0) != 0, "a removed component's process survived")
            #expect(node.component("bridge")?.pid == nil)
            let view = try nodeView(node)
            #expect(view["alpha"] == nil)
            #expect(view["bridge"] == "DISABLED")
            #expect(view["beta"] == "RUNNING")

            // Enable bridge again and bring alpha back.
            try node.write(yaml: base + "components:\n" + Self.sleeper("beta") + Self.sleeper("alpha"))
            let second = try node.ctl(["reload"])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("started bridge, alpha"), "\(second.stdout)")
            #expect(node.waitAllRunning(timeout: 20))
            let alpha = try #require(node.component("alpha"))
            #expect(alpha.restarts == 0)
            #expect(alpha.lastExit == nil, "a re-added component must not inherit the old one's record")
            #expect(try nodeView(node)["bridge"] == "RUNNING")
        }

        @Test func aComponentIgnoringSIGTERMIsKilledAfterItsStopTimeout() throws {
            let node = try NodeSandbox(
                extra: """
                    components:
                      stubborn:
                        command: /bin/sh
                        args: ["-c", "trap '' TERM; sleep 3600"]
                        stop_timeout_ms: 300
                    """)
            sandboxes.append(node)
            try node.start()
            #expect(node.waitAllRunning(timeout: 60))
            let before = try #require(node.component("stubborn")?.pid)
            let restart = try node.ctl(["restart", "stubborn"])
            #expect(restart.status == 0, "\(restart.stderr)")
            #expect(node.supervisorOutput.contains("stubborn (pid \(before)) did not stop in time: SIGKILL"))
            #expect(node.component("stubborn")?.pid != before)
            #expect(node.stop(timeout: 20) == 0)
        }

        @Test func whatAPluginStartsEndsWithItAndPluginsDieWithTheSupervisor() throws {
            let marker = NSTemporaryDirectory() + "pgraft-grandchild-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: marker) }
            let node = try NodeSandbox(
                extra: """
                    components:
                      spawner:
                        command: /bin/sh
                        args: ["-c", "sleep 3600 & echo $! > \(marker); wait"]
                    """)
            sandboxes.append(node)
            try node.start()
            #expect(node.waitAllRunning(timeout: 60))
            func grandchild() -> Int32? {
                (try? String(contentsOfFile: marker, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            #expect(node.waitUntil(timeout: 10) { grandchild() != nil })
            let first = try #require(grandchild())
            try FileManager.default.removeItem(atPath: marker)
            let restart = try node.ctl(["restart", "spawner"])
            #expect(restart.status == 0, "\(restart.stderr)")
            #expect(node.waitUntil(timeout: 10) { kill(first, 0) != 0 }, "the plugin's child outlived its restart")
            #expect(node.waitUntil(timeout: 10) { grandchild() != nil })

            let plugin = try #require(node.component("spawner")?.pid)
            kill(node.process!.pid, SIGKILL)
            #expect(node.waitUntil(timeout: 10) { kill(plugin, 0) != 0 }, "the plugin outlived the supervisor")
            if let second = grandchild() { kill(second, SIGKILL) }
        }
    }
}

extension EndToEnd {
    /// The transport's side of the peer handshake, spoken by hand on its TCP port.
    @Suite final class PeerHandshakeTests {
        var sandboxes: [NodeSandbox] = []

        deinit {
            sandboxes.forEach { $0.cleanUp() }
        }

        func node() throws -> NodeSandbox {
            let node = try NodeSandbox(extra: "peer_timeout: 500\n")
            try node.write(yaml: node.readYAML() + """
                members:
                  - id: 1
                    address: 127.0.0.1:\(node.listenPort)
                  - id: 2
                    address: 127.0.0.1:1

                """)
            sandboxes.append(node)
            try node.start()
            #expect(node.waitAllRunning(timeout: 60), "\(node.supervisorOutput)")
            return node
        }

        func transportLog(_ node: NodeSandbox) -> String {
            (try? String(contentsOfFile: node.directory + "/log/transport.log", encoding: .utf8)) ?? ""
        }

        @Test func aMemberOfTheClusterIsWelcomedAndEveryOtherGreetingRefusedAndLogged() throws {
            let node = try node()
            let transport = node.component("transport")?.pid

            let member = try BlockingSocket.connect(host: "127.0.0.1", port: node.listenPort, timeoutSeconds: 10)
            try member.send(Frame(type: PeerFrameType.hello, payload: PeerHello(clusterName: node.clusterName, nodeId: 2).encoded()).encoded())
            let welcome = try member.receiveFrame()
            #expect(welcome.type == PeerFrameType.welcome)
            var reader = ByteReader(welcome.payload)
            #expect(try reader.u64() == 1)

            let stranger = try BlockingSocket.connect(host: "127.0.0.1", port: node.listenPort, timeoutSeconds: 10)
            try stranger.send(Frame(type: PeerFrameType.hello, payload: PeerHello(clusterName: "elsewhere", nodeId: 2).encoded()).encoded())
            let refusal = try stranger.receiveFrame()
            #expect(refusal.type == PeerFrameType.refusal)
            var reason = ByteReader(refusal.payload)
            #expect(try reason.string().contains("belongs to cluster 'elsewhere'"))
            #expect(stranger.receiveUntilClosed().closed)
            #expect(node.waitUntil(timeout: 10) { self.transportLog(node).contains("refused peer connection") })

            let garbage = try BlockingSocket.connect(host: "127.0.0.1", port: node.listenPort, timeoutSeconds: 10)
            try garbage.send([0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3])
            #expect(garbage.receiveUntilClosed().closed, "garbage must close the connection")

            let silent = try BlockingSocket.connect(host: "127.0.0.1", port: node.listenPort, timeoutSeconds: 10)
            #expect(silent.receiveUntilClosed().closed, "a silent connection must be closed after peer_timeout")
            #expect(node.waitUntil(timeout: 10) { self.transportLog(node).contains("no greeting within peer_timeout 500 ms") })

            // Refusals close one connection each; the transport itself never restarted.
            #expect(node.component("transport")?.pid == transport)
            #expect(node.component("transport")?.restarts == 0)
            _ = member
        }

        @Test func aSecondProcessGreetingWithAConnectedMembersIdIsRefusedAndTheMemberKeepsItsLink() throws {
            let node = try node()
            let hello = Frame(type: PeerFrameType.hello, payload: PeerHello(clusterName: node.clusterName, nodeId: 2).encoded()).encoded()
            let member = try BlockingSocket.connect(host: "127.0.0.1", port: node.listenPort, timeoutSeconds: 10)
            try member.send(hello)
            #expect((try? member.receiveFrame())?.type == PeerFrameType.welcome)
            let memberPort = try #require(member.localPort)

            // A copy of node 2 greets with the same id, again and again: each greeting is refused,
            // naming both connections, and the member's link is never displaced.
            for attempt in 0..<5 {
                let copy = try BlockingSocket.connect(host: "127.0.0.1", port: node.listenPort, timeoutSeconds: 10)
                try copy.send(hello)
                let refusal = try copy.receiveFrame()
                #expect(refusal.type == PeerFrameType.refusal)
                let decoded = PeerRefusal.decode(refusal.payload)
                #expect(decoded.kind == .duplicate)
                #expect(decoded.reason.contains("already connected from 127.0.0.1:\(memberPort)"), "\(decoded.reason)")
                #expect(decoded.reason.contains("came from 127.0.0.1:\(try #require(copy.localPort))"), "\(decoded.reason)")
                #expect(copy.receiveUntilClosed().closed, "attempt \(attempt): a refused copy must be disconnected")
                // The member still talks on its link: a ping keeps it alive past peer_timeout.
                try member.send(Frame(type: PeerFrameType.ping, payload: []).encoded())
            }
            #expect(node.waitUntil(timeout: 10) { self.transportLog(node).contains("is already connected from 127.0.0.1:\(memberPort)") })
            // Logged once, not once per attempt.
            #expect(transportLog(node).components(separatedBy: "already connected from").count - 1 == 1, "\(transportLog(node))")
            #expect(!transportLog(node).contains("lost peer"), "the member's link must not be displaced")
            // The member's link is still the live one: the node pings it when idle.
            try member.send(Frame(type: PeerFrameType.ping, payload: []).encoded())
            #expect((try? member.receiveFrame(within: 5_000))?.type == PeerFrameType.ping)
        }

        @Test func framesBehindARefusedGreetingAreNeverReadAsANewOne() throws {
            let node = try node()
            let socket = try BlockingSocket.connect(host: "127.0.0.1", port: node.listenPort, timeoutSeconds: 10)
            let stranger = Frame(type: PeerFrameType.hello, payload: PeerHello(clusterName: "elsewhere", nodeId: 2).encoded()).encoded()
            let member = Frame(type: PeerFrameType.hello, payload: PeerHello(clusterName: node.clusterName, nodeId: 2).encoded()).encoded()
            try socket.send(stranger + member)
            #expect((try? socket.receiveFrame())?.type == PeerFrameType.refusal)
            #expect(socket.receiveUntilClosed().closed)
            #expect(node.waitUntil(timeout: 10) { self.transportLog(node).contains("refused peer connection") })
            #expect(!transportLog(node).contains("peer connected"), "\(transportLog(node))")
        }

        @Test func aWelcomedPeerIsPingedWhenIdleAndDroppedWhenSilentForPeerTimeout() throws {
            let node = try node()
            let peer = try BlockingSocket.connect(host: "127.0.0.1", port: node.listenPort, timeoutSeconds: 10)
            try peer.send(Frame(type: PeerFrameType.hello, payload: PeerHello(clusterName: node.clusterName, nodeId: 2).encoded()).encoded())
            #expect((try? peer.receiveFrame())?.type == PeerFrameType.welcome)
            // Nothing to say: the transport pings within a quarter of peer_timeout (500 ms) or so...
            #expect((try? peer.receiveFrame())?.type == PeerFrameType.ping)
            // ...and, hearing nothing back, closes the connection after peer_timeout.
            #expect(peer.receiveUntilClosed().closed, "a silent peer must be dropped")
            #expect(node.waitUntil(timeout: 10) { self.transportLog(node).contains("nothing heard for") })
        }

        @Test func twoNodesConnectOnceAndReconnectAfterATransportRestart() throws {
            let (first, second) = try NodeSandbox.pair(extra: "peer_timeout: 500\n")
            sandboxes += [first, second]
            try first.start()
            try second.start()
            #expect(first.waitAllRunning(timeout: 60) && second.waitAllRunning(timeout: 60))
            func connections(_ node: NodeSandbox) -> Int {
                transportLog(node).components(separatedBy: "peer connected").count - 1
            }
            #expect(first.waitUntil(timeout: 20) { connections(first) == 1 && connections(second) == 1 },
                "\(transportLog(first))\n\(transportLog(second))")
            #expect(transportLog(first).contains("dialled=true"), "node 1 dials node 2")

            // Node 2's transport restarts: node 1 notices and connects again.
            let killed = try #require(second.component("transport")?.pid)
            kill(killed, SIGKILL)
            #expect(first.waitUntil(timeout: 20) { connections(first) == 2 && connections(second) == 2 },
                "\(transportLog(first))\n\(transportLog(second))")
            #expect(transportLog(first).contains("lost peer"))
        }
    }
}

extension EndToEnd {
    /// Raft messages crossing from one node's consensus socket to another's, through both transports.
    /// The tests play consensus themselves: the nodes run without their consensus and storage.
    @Suite final class TransportRelayTests {
        var sandboxes: [NodeSandbox] = []
        var listeners: [Int32] = []

        deinit {
            sandboxes.forEach { $0.cleanUp() }
            listeners.forEach { close($0) }
        }

        /// Reads frames until one of `type` arrives (skipping others), or nil.
        func next(_ type: UInt16, from connection: BlockingSocket) -> Frame? {
            while let frame = try? connection.receiveFrame() {
                if frame.type == type { return frame }
            }
            return nil
        }

        @Test func messagesCrossBetweenTwoNodesAndUnknownPeersAreDropped() throws {
            let nodes = [try NodeSandbox(extra: "peer_timeout: 500\n"), try NodeSandbox(extra: "peer_timeout: 500\n")]
            sandboxes += nodes
            let members = "members:\n" + nodes.enumerated().map { "  - id: \($0.offset + 1)\n    address: 127.0.0.1:\($0.element.listenPort)\n" }.joined()
            let disabled = "components:\n  consensus:\n    enabled: false\n  storage:\n    enabled: false\n"
            var hubs: [BlockingSocket] = []
            for (offset, node) in nodes.enumerated() {
                let yaml = try node.readYAML().replacingOccurrences(of: "node_id: 1", with: "node_id: \(offset + 1)")
                    .replacingOccurrences(of: "cluster_name: \(node.clusterName)", with: "cluster_name: \(nodes[0].clusterName)")
                try node.write(yaml: yaml + members + disabled)
                try FileManager.default.createDirectory(atPath: node.directory + "/run", withIntermediateDirectories: true)
                let listener = try UnixSocket.listen(path: node.directory + "/run/consensus.sock", nonBlocking: false)
                listeners.append(listener)
                try node.start()
                #expect(node.waitAllRunning(timeout: 60), "\(node.supervisorOutput)")
                let hub = try #require(BlockingSocket.accept(on: listener, timeoutSeconds: 10), "the transport never connected to consensus.sock")
                #expect((try? hub.receiveFrame())?.type == HubFrameType.transportHello)
                hubs.append(hub)
            }
            // Each side hears that the other is connected.
            for (offset, hub) in hubs.enumerated() {
                let status = try #require(next(HubFrameType.peerStatus, from: hub))
                var reader = ByteReader(status.payload)
                #expect(try reader.u64() == UInt64(2 - offset))
                #expect(try reader.u8() == 1)
            }
            let message = Array("append entries, term 3".utf8)
            try hubs[0].send(Frame(type: HubFrameType.peerSend, payload: HubPeerMessage(peer: 9, message: [1]).encoded()).encoded())
            try hubs[0].send(Frame(type: HubFrameType.peerSend, payload: HubPeerMessage(peer: 2, message: message).encoded()).encoded())
            let arrived = try #require(next(HubFrameType.peerReceived, from: hubs[1]))
            #expect(try HubPeerMessage.decode(arrived.payload) == HubPeerMessage(peer: 1, message: message))
            try hubs[1].send(Frame(type: HubFrameType.peerSend, payload: HubPeerMessage(peer: 1, message: [42]).encoded()).encoded())
            let reply = try #require(next(HubFrameType.peerReceived, from: hubs[0]))
            #expect(try HubPeerMessage.decode(reply.payload) == HubPeerMessage(peer: 2, message: [42]))
            // The message to unknown peer 9 was dropped and counted; the transport kept running.
            #expect(nodes[0].component("transport")?.restarts == 0)
            let segment = try SharedSegment.attach(name: try NodeConfig.load(path: nodes[0].configPath).segmentName)
            let counters = segment.counters(at: try #require(segment.componentIndex(named: "transport")))
            #expect(counters[.messagesDropped] == 1)
            #expect(counters[.messagesSent] == 1)
            #expect(counters[.messagesReceived] == 1)
        }
    }
}

import Foundation
import PGRaftBytes
import PGRaftKit
import PGRaftTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// The cluster secret's handshake (`cluster_secret_file`), spoken by hand on a transport's port
    /// and between real nodes.
    @Suite final class PeerSecretTests {
        var sandboxes: [NodeSandbox] = []

        deinit {
            sandboxes.forEach { $0.cleanUp() }
        }

        /// Writes `text` as an owner-only secret file in `node`'s directory and returns its path.
        func secretFile(_ node: NodeSandbox, _ text: String, mode: mode_t = 0o600) throws -> String {
            let path = node.directory + "/cluster.secret"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
            chmod(path, mode)
            return path
        }

        static let secretText = "Zq8vN2mK5xR7tW1yB4cE6gH9jL3pS0uA-test"

        func transportLog(_ node: NodeSandbox) -> String {
            (try? String(contentsOfFile: node.directory + "/log/transport.log", encoding: .utf8)) ?? ""
        }

        /// A node (id 1) of a two-member cluster whose member 2 is not running, with the secret.
        func securedNode() throws -> (NodeSandbox, ClusterSecret) {
            let node = try NodeSandbox(extra: "peer_timeout: 1000\n")
            sandboxes.append(node)
            let path = try secretFile(node, Self.secretText + "\n")
            try node.write(yaml: node.readYAML() + """
                cluster_secret_file: \(path)
                members:
                  - id: 1
                    address: 127.0.0.1:\(node.listenPort)
                  - id: 2
                    address: 127.0.0.1:1

                """)
            try node.start()
            #expect(node.waitAllRunning(timeout: 60), "\(node.supervisorOutput)")
            return (node, try ClusterSecret.load(path: path))
        }

        /// Greets `node` as member 2 with `nonce`, then reads the challenge.
        func challenge(_ node: NodeSandbox, nonce: [UInt8]) throws -> (BlockingSocket, PeerChallenge) {
            let socket = try BlockingSocket.connect(host: "127.0.0.1", port: node.listenPort, timeoutSeconds: 10)
            try socket.send(Frame(type: PeerFrameType.hello, payload: PeerHello(clusterName: node.clusterName, nodeId: 2, nonce: nonce).encoded()).encoded())
            let frame = try socket.receiveFrame()
            #expect(frame.type == PeerFrameType.challenge)
            return (socket, try PeerChallenge.decode(frame.payload))
        }

        func refusal(on socket: BlockingSocket) throws -> PeerRefusal {
            let frame = try socket.receiveFrame()
            #expect(frame.type == PeerFrameType.refusal)
            #expect(socket.receiveUntilClosed().closed, "a refused connection must be closed")
            return PeerRefusal.decode(frame.payload)
        }

        @Test func onlyAProcessThatProvesTheSecretIsWelcomedAndARecordedProofIsRefused() throws {
            let (node, secret) = try securedNode()
            let transport = node.component("transport")?.pid

            // A process that knows only the cluster name.
            let stranger = try BlockingSocket.connect(host: "127.0.0.1", port: node.listenPort, timeoutSeconds: 10)
            try stranger.send(Frame(type: PeerFrameType.hello, payload: PeerHello(clusterName: node.clusterName, nodeId: 2).encoded()).encoded())
            let plain = try refusal(on: stranger)
            #expect(plain.kind == .unauthenticated)
            #expect(plain.reason.contains("requires peers to prove the cluster secret"), "\(plain.reason)")

            // A process with another secret: the node's proof does not verify under it, and its own is refused.
            let wrong = ClusterSecret(bytes: Array((Self.secretText + "x").utf8), path: "")
            let wrongNonce = PeerAuthentication.nonce()
            let (guesser, guessed) = try challenge(node, nonce: wrongNonce)
            let guessedFacts = PeerAuthentication.Transcript(
                cluster: node.clusterName, dialer: 2, acceptor: 1, dialerNonce: wrongNonce, acceptorNonce: guessed.nonce)
            #expect(!PeerAuthentication.verify(guessed.proof, by: .acceptor, of: guessedFacts, secret: wrong))
            try guesser.send(Frame(type: PeerFrameType.proof, payload: PeerAuthentication.proof(.dialer, of: guessedFacts, secret: wrong)).encoded())
            let guessRefused = try refusal(on: guesser)
            #expect(guessRefused.kind == .unauthenticated)
            #expect(guessRefused.reason.contains("could not prove the cluster secret"), "\(guessRefused.reason)")

            // The member: the node proves the secret to it, and it proves it back.
            let nonce = PeerAuthentication.nonce()
            let (member, asked) = try challenge(node, nonce: nonce)
            let facts = PeerAuthentication.Transcript(
                cluster: node.clusterName, dialer: 2, acceptor: 1, dialerNonce: nonce, acceptorNonce: asked.nonce)
            #expect(asked.nodeId == 1)
            #expect(PeerAuthentication.verify(asked.proof, by: .acceptor, of: facts, secret: secret))
            let proof = PeerAuthentication.proof(.dialer, of: facts, secret: secret)
            try member.send(Frame(type: PeerFrameType.proof, payload: proof).encoded())
            #expect((try? member.receiveFrame())?.type == PeerFrameType.welcome)
            #expect(node.waitUntil(timeout: 10) { self.transportLog(node).contains("authenticated=secret") })

            // Someone who recorded that handshake replays it once the member has gone: the node's
            // new challenge has a new nonce, and the recorded proof does not answer it.
            member.shutdown()
            #expect(node.waitUntil(timeout: 10) { self.transportLog(node).contains("lost peer") })
            let (replayer, replayed) = try challenge(node, nonce: nonce)
            #expect(replayed.nonce != asked.nonce)
            try replayer.send(Frame(type: PeerFrameType.proof, payload: proof).encoded())
            #expect(try refusal(on: replayer).reason.contains("could not prove the cluster secret"))

            // Each refusal was logged with the remote address and the reason; the transport never restarted.
            #expect(node.waitUntil(timeout: 10) {
                let log = self.transportLog(node)
                return log.contains("requires peers to prove the cluster secret") && log.contains("could not prove the cluster secret")
                    && log.contains("remote=127.0.0.1:")
            }, "\(transportLog(node))")
            #expect(!transportLog(node).contains(Self.secretText.prefix(10)), "the secret must never be logged")
            #expect(node.component("transport")?.pid == transport)
        }

        /// Two real nodes: `sameSecret` says whether they share one.
        func pair(sameSecret: Bool) throws -> (NodeSandbox, NodeSandbox) {
            let (first, second) = try NodeSandbox.pair(extra: "peer_timeout: 500\n") { node, id in
                let text = Self.secretText + (sameSecret || id == 1 ? "" : "-other")
                return "cluster_secret_file: \(try self.secretFile(node, text))\n"
            }
            sandboxes += [first, second]
            try first.start()
            try second.start()
            #expect(first.waitAllRunning(timeout: 60) && second.waitAllRunning(timeout: 60))
            return (first, second)
        }

        @Test func nodesWithTheSameSecretConnectAndNodesWithDifferentOnesNeverDo() throws {
            let (first, second) = try pair(sameSecret: true)
            #expect(first.waitUntil(timeout: 20) {
                self.transportLog(first).contains("dialled=true") && self.transportLog(second).contains("authenticated=secret")
            }, "\(transportLog(first))\n\(transportLog(second))")

            let (dialer, acceptor) = try pair(sameSecret: false)
            // Node 1 dials node 2, whose proof does not verify under node 1's secret: node 1 hangs up
            // before proving anything, and says why.
            #expect(dialer.waitUntil(timeout: 20) {
                self.transportLog(dialer).contains("refused this node") || self.transportLog(dialer).contains("could not prove the cluster secret")
            }, "\(transportLog(dialer))")
            #expect(transportLog(dialer).contains("peer 2 at 127.0.0.1:\(acceptor.listenPort) could not prove the cluster secret"))
            // The accepting node, which never got a proof, says so too.
            #expect(acceptor.waitUntil(timeout: 20) { self.transportLog(acceptor).contains("hung up after the challenge without proving") },
                "\(transportLog(acceptor))")
            #expect(!transportLog(dialer).contains("peer connected") && !transportLog(acceptor).contains("peer connected"))
        }

        @Test func aRaftFrameInsteadOfTheProofIsRefused() throws {
            let (node, _) = try securedNode()
            let (socket, _) = try challenge(node, nonce: PeerAuthentication.nonce())
            try socket.send(Frame(type: PeerFrameType.raft, payload: [1, 2, 3]).encoded())
            let refused = try refusal(on: socket)
            #expect(refused.kind == .unauthenticated && refused.reason.contains("expected the proof of the cluster secret"), "\(refused.reason)")
            #expect(!transportLog(node).contains("peer connected"))
        }

        @Test func aNodeWithTheSecretHangsUpOnAPeerThatWelcomesItWithoutProvingIt() throws {
            // Node 1 dials "node 2", which is this test: it welcomes without a challenge.
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(listener) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            #expect(bound == 0)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            bound = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
            #expect(listen(listener, 4) == 0)
            let port = Int(UInt16(bigEndian: address.sin_port))

            let node = try NodeSandbox(extra: "peer_timeout: 1000\n")
            sandboxes.append(node)
            let path = try secretFile(node, Self.secretText)
            try node.write(yaml: node.readYAML() + "cluster_secret_file: \(path)\nmembers:\n  - id: 1\n    address: 127.0.0.1:\(node.listenPort)\n  - id: 2\n    address: 127.0.0.1:\(port)\n")
            try node.start()
            #expect(node.waitAllRunning(timeout: 60), "\(node.supervisorOutput)")
            let impostor = try #require(BlockingSocket.accept(on: listener, timeoutSeconds: 20))
            let hello = try PeerHello.decode(try impostor.receiveFrame().payload)
            #expect(hello.nodeId == 1 && hello.nonce?.count == PeerAuthentication.nonceBytes)
            var writer = ByteWriter()
            writer.u64(2)
            try impostor.send(Frame(type: PeerFrameType.welcome, payload: writer.bytes).encoded())
            try impostor.send(Frame(type: PeerFrameType.raft, payload: [9, 9]).encoded())
            #expect(impostor.receiveUntilClosed().closed, "node 1 must hang up")
            #expect(node.waitUntil(timeout: 10) { self.transportLog(node).contains("welcomed this node without proving the cluster secret") },
                "\(transportLog(node))")
            #expect(!transportLog(node).contains("peer connected"))
        }

        @Test func aSecretFileOthersMayReadLeavesTheTransportFailedWithTheFix() throws {
            let node = try NodeSandbox(extra: "peer_timeout: 500\n")
            sandboxes.append(node)
            let path = try secretFile(node, Self.secretText, mode: 0o644)
            try node.write(yaml: node.readYAML() + "cluster_secret_file: \(path)\n")
            try node.start()
            #expect(node.waitUntil(timeout: 30) { node.component("transport")?.state == "FAILED" }, "\(node.supervisorOutput)")
            #expect(node.component("transport")?.lastExit == "exit \(ComponentRuntime.permanentFailure)")
            #expect(transportLog(node).contains("cluster_secret_file \(path): group or others may read or write it (mode 644): run chmod 600 \(path)"),
                "\(transportLog(node))")
            chmod(path, 0o600)
            let restarted = try node.ctl(["restart", "transport"])
            #expect(restarted.status == 0, "\(restarted.stderr)")
            #expect(node.waitUntil(timeout: 30) { node.component("transport")?.state == "RUNNING" })
        }
    }
}

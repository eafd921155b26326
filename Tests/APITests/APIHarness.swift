import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PGRaftAPI
import PGRaftCLI
import PGRaftKit
import PGRaftClient

/// One api under test: a segment with a published cluster state and counters, a router whose
/// consensus link points at `<run_dir>/consensus.sock` (where a `FakeConsensus` may serve), and the
/// HTTP server on a free loopback port.
final class APIHarness: Sendable {
    let config: NodeConfig
    let segment: SharedSegment
    let consensus: ConsensusClient
    let server: Channel
    let port: Int
    let runDir: String

    /// The cluster state every harness publishes: node 1 leads nodes 2 (behind) and 3 (a learner).
    static let clusterState = ClusterStateSnapshot(
        term: 7, leaderId: 1, role: .leader, commitIndex: 40, appliedIndex: 39, lastIndex: 42, snapshotIndex: 10,
        members: [
            ClusterMember(id: 1, address: "127.0.0.1:7101", matchIndex: 42, nextIndex: 43, lastContactMs: 0),
            ClusterMember(id: 2, address: "127.0.0.1:7102", matchIndex: 40, nextIndex: 41, lastContactMs: 1_700_000_000_000),
            ClusterMember(id: 3, address: "127.0.0.1:7103", kind: .learner, matchIndex: 30, nextIndex: 31),
        ])

    /// The largest body the harness's api accepts.
    static let maxValueBytes = 64

    private static let counter = NIOLockedCounter()
    private let fake = NIOLockedValueBox<FakeConsensus?>(nil)

    /// Runs `body` against a new harness and always cleans up after it (segment, directory, fake).
    static func run(
        consensusTimeout: TimeAmount = .seconds(10), access: APIAccess = .open, _ body: (APIHarness) async throws -> Void
    ) async throws {
        let api = try await APIHarness(consensusTimeout: consensusTimeout, access: access)
        do {
            try await body(api)
        } catch {
            await api.close()
            throw error
        }
        await api.close()
    }

    private init(consensusTimeout: TimeAmount, access: APIAccess) async throws {
        let tag = "\(getpid())-\(Self.counter.next())"
        runDir = NSTemporaryDirectory() + "pgraft-api-\(tag)"
        try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
        config = try NodeConfig.parse(
            yaml: """
                cluster_name: apitest
                node_id: 1
                listen_port: 7101
                data_dir: \(runDir)/data
                run_dir: \(runDir)
                log_dir: \(runDir)/log
                api:
                  max_value_bytes: \(Self.maxValueBytes)

                """, file: "t.yaml", baseDirectory: runDir)
        segment = try SharedSegment.create(
            name: "/pgraft-apitest-\(tag)", layout: .standard,
            node: NodeInfo(nodeId: 1, clusterName: "apitest", listenAddress: "127.0.0.1", listenPort: 7101))
        try segment.publishClusterState(Self.clusterState)
        for (index, name) in ["storage", "consensus", "api"].enumerated() {
            segment.componentSlot(at: index).name = name
        }
        segment.counters(at: 1).increment(.elections, by: 3)
        segment.counters(at: 1).increment(.proposals, by: 5)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        consensus = ConsensusClient(path: config.consensusSocketPath, loop: loop, logger: Logger(label: "api-test", factory: { _ in SwiftLogNoOpLogHandler() }), timeout: consensusTimeout)
        let router = APIRouter(config: config, segment: segment, consensus: consensus, access: access)
        let counters = segment.counters(at: 2)
        server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { APIServer.configure($0, router: router, counters: counters) }
            .bind(host: "127.0.0.1", port: 0).get()
        port = server.localAddress?.port ?? 0
    }

    /// Starts a fake consensus and waits until the api's client has greeted it.
    func startConsensus(_ answer: @escaping @Sendable (ClientOperation) -> FakeConsensus.Answer) async throws -> FakeConsensus {
        let fake = try await FakeConsensus.start(path: config.consensusSocketPath, answer: answer)
        self.fake.withLockedValue { $0 = fake }
        consensus.start()
        try await fake.greeted.futureResult.get()
        return fake
    }

    /// Sends one request over real HTTP.
    func request(_ method: String, _ target: String, body: [UInt8] = [], headers: [(String, String)] = []) throws -> BlockingHTTPClient.Response {
        try BlockingHTTPClient(host: "127.0.0.1", port: port, timeoutSeconds: 20).request(method, target, body: body, headers: headers)
    }

    /// The response body as a JSON object.
    static func json(_ response: BlockingHTTPClient.Response) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    /// Stops everything and removes the segment and directory.
    func close() async {
        consensus.stop()
        try? await server.close()
        try? await fake.withLockedValue { $0 }?.stop()
        _ = segment.unlink()
        try? FileManager.default.removeItem(atPath: runDir)
    }
}

/// A process-wide counter for unique names.
final class NIOLockedCounter: Sendable {
    private let value = NIOLockedValueBox(0)
    func next() -> Int { value.withLockedValue { $0 += 1; return $0 } }
}

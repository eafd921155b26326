import Foundation
import NIOPosix
import PGRaftBridge
import PGRaftKit
import PGRaftPostgres

/// `pgraft-bridge`: the node's local PostgreSQL, managed so that the Raft leader's server is the
/// only one that acknowledges commits (docs/FAILOVER.md). It runs the bridge core (PGRaftBridge)
/// in `BridgeLoop` on a thread of its own, performs its operations with PGRaftPostgres, and talks
/// to consensus over `consensus.sock`.
///
/// A bridge that stops (SIGTERM) leaves the server running, so that a restart of the bridge never
/// bounces a healthy server: the new bridge adopts it. A primary is fenced as the bridge stops
/// (nothing acknowledges a commit without a bridge watching), and a new bridge lifts the fence
/// within a tick when its node may acknowledge.
@main
enum BridgeMain {
    static func main() async {
        await ComponentRuntime.main(name: "bridge") { context in
            let config = context.config
            guard let postgres = config.postgres else {
                context.logger.info("no postgres section in the configuration: nothing to manage")
                context.markReady()
                await context.waitForShutdown()
                return
            }
            // Reads the password files now: an unreadable one stops the bridge with the setting and file.
            let spec = try PostgresServerSpec(config: config)
            let server = try PostgresServer(spec: spec, logger: context.logger)
            try server.checkEnvironment()
            let client = ConsensusClient(path: config.consensusSocketPath, loop: MultiThreadedEventLoopGroup.singleton.next(), logger: context.logger)
            client.start()
            let settings = BridgeSettings(
                node: UInt64(config.nodeId), synchronous: postgres.synchronous, maximumLagOnFailover: UInt64(postgres.maximumLagOnFailover),
                useRewind: postgres.usePgRewind, startTimeoutMs: Int64(postgres.startTimeoutMs), electionTimeoutMs: Int64(config.electionTimeout))
            let loop = BridgeLoop(
                settings: settings, server: server, client: client, segment: context.segment,
                address: ServerAddress(host: postgres.connectAddress.host, port: postgres.connectAddress.port),
                tickMs: Self.tickMs(heartbeatIntervalMs: config.heartbeatInterval), logger: context.logger)
            context.markReady()
            let stopping = StopSignal()
            // The loop blocks (the library does): a thread of its own, joined as the bridge stops.
            async let finished: Void = withCheckedContinuation { done in
                Thread {
                    loop.run(shouldStop: stopping.isSet)
                    loop.fenceOnExit()
                    done.resume()
                }.start()
            }
            await context.waitForShutdown()
            stopping.set()
            await finished
            client.stop()
        }
    }
}

extension BridgeMain {
    /// How often the bridge looks: a fifth of the heartbeat interval (20 ms at the default), at
    /// least 10 ms. A failover waits on each bridge's next look several times (its leader stops
    /// streaming, every member reports, the record commits, the promotion), so the pace matters;
    /// a look costs a few queries on the local socket and one local read of consensus.
    static func tickMs(heartbeatIntervalMs: Int) -> Int { max(10, heartbeatIntervalMs / 5) }
}

/// A flag one thread sets and another reads.
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false

    /// Sets the flag.
    func set() { lock.withLock { flag = true } }

    /// Whether the flag is set.
    func isSet() -> Bool { lock.withLock { flag } }
}

import NIOCore
import NIOPosix
import PGRaftAPI
import PGRaftKit

/// `pgraft-api`: the node's HTTP face for load balancers, operators and applications
/// (`api.listen_address:api.listen_port`). Segment reads are answered locally; key-value, command
/// log and membership requests go to consensus over one shared connection to `consensus.sock`.
@main
enum APIMain {
    static func main() async {
        await ComponentRuntime.main(name: "api") { context in
            let config = context.config
            let consensus = ConsensusClient(
                path: config.consensusSocketPath, loop: MultiThreadedEventLoopGroup.singleton.next(), logger: context.logger)
            let router = APIRouter(config: config, segment: context.segment, consensus: consensus)
            let counters = context.slot.flatMap { slot in context.segment?.counters(at: slot) }
            let channel = try await context.listenTCP(
                host: config.api.listenAddress, port: config.api.listenPort, setting: "api.listen_address/api.listen_port"
            ) { channel in
                APIServer.configure(channel, router: router, counters: counters)
            }
            consensus.start()
            context.logger.info(
                "serving HTTP", metadata: ["address": "\(config.api.listenAddress):\(config.api.listenPort)"])
            context.markReady()
            await context.serve(channel)
            consensus.stop()
        }
    }
}

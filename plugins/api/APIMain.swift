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
            // One loop for the HTTP connections and the link to consensus: no thread hand-off per request.
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let consensus = ConsensusClient(path: config.consensusSocketPath, loop: loop, logger: context.logger)
            let tokens = try config.api.tokenFile.map { path throws(SecretFileError) in try APITokens.load(path: path) }
            let access = APIAccess(tokens: tokens, scope: config.api.auth)
            if let tokens {
                context.logger.info("requests need a bearer token", metadata: ["scope": "\(config.api.auth.rawValue)", "tokens": "\(tokens.count)"])
            }
            let router = APIRouter(config: config, segment: context.segment, consensus: consensus, access: access)
            let counters = context.slot.flatMap { slot in context.segment?.counters(at: slot) }
            let channel = try await context.listenTCP(
                host: config.api.listenAddress, port: config.api.listenPort, setting: "api.listen_address/api.listen_port",
                group: loop
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

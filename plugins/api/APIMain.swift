import NIOCore
import NIOHTTP1
import NIOPosix
import PGRaftKit

/// `pgraft-api`: the node's HTTP face for load balancers and operators (`api.listen_address:api.listen_port`).
@main
enum APIMain {
    static func main() async {
        await ComponentRuntime.main(name: "api") { context in
            let config = context.config
            let router = APIRouter(config: config, segment: context.segment)
            let channel = try await context.listenTCP(
                host: config.api.listenAddress, port: config.api.listenPort, setting: "api.listen_address/api.listen_port"
            ) { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(HTTPRequestHandler(router: router))
                }
            }
            context.logger.info(
                "serving HTTP", metadata: ["address": "\(config.api.listenAddress):\(config.api.listenPort)"])
            context.markReady()
            await context.serve(channel)
        }
    }
}

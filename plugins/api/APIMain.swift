import NIOCore
import NIOPosix
import PGRaftAPI
import NIOSSL
import PGRaftKit
import PGRaftTLS

/// `pgraft-api`: the node's HTTP face for load balancers, operators and applications
/// (`api.listen_address:api.listen_port`). Segment reads are answered locally; key-value, command
/// log and membership requests go to consensus over one shared connection to `consensus.sock`.
@main
enum APIMain {
    static func main() async {
        await ComponentRuntime.main(name: "api") { context in
            let config = context.config
            let logger = context.logger
            // One loop for the HTTP connections and the link to consensus: no thread hand-off per request.
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let consensus = ConsensusClient(path: config.consensusSocketPath, loop: loop, logger: context.logger)
            let tokens = try config.api.tokenFile.map { path throws(SecretFileError) in try APITokens.load(path: path) }
            let tls = try config.api.tls.map { files throws(TLSFilesError) in try TLSContextSource(files: files, role: .apiServer) }
            let access = APIAccess(tokens: tokens, clientCertificates: config.api.tls?.caFile != nil, scope: config.api.auth)
            if let tokens {
                context.logger.info("requests need a bearer token", metadata: ["scope": "\(config.api.auth.rawValue)", "tokens": "\(tokens.count)"])
            }
            let router = APIRouter(config: config, segment: context.segment, consensus: consensus, access: access)
            let counters = context.slot.flatMap { slot in context.segment?.counters(at: slot) }
            let channel = try await context.listenTCP(
                host: config.api.listenAddress, port: config.api.listenPort, setting: "api.listen_address/api.listen_port",
                group: loop
            ) { channel in
                if let tls {
                    let tlsContext = tls.current { logger.notice("\($0)") }
                    do {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                }
                return APIServer.configure(channel, router: router, counters: counters)
            }
            consensus.start()
            context.logger.info(
                "serving HTTP", metadata: ["address": "\(config.api.listenAddress):\(config.api.listenPort)", "tls": "\(tls != nil)"])
            context.markReady()
            await context.serve(channel)
            consensus.stop()
        }
    }
}

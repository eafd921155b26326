import NIOCore
import NIOPosix
import PGRaftKit

/// `pgraft-transport`: owns the node's TCP port for the other nodes (`listen_address:listen_port`).
/// This stage binds the port and reads peer frames, closing any connection that sends bytes that
/// are not frames; the peer protocol itself is the next stage.
@main
enum TransportMain {
    static func main() async {
        await ComponentRuntime.main(name: "transport") { context in
            let config = context.config
            let logger = context.logger
            let channel = try await context.listenTCP(
                host: config.listenAddress, port: config.listenPort, setting: "listen_address/listen_port"
            ) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FrameChannelHandler(what: "peer connection", logger: logger) { frame, _ in
                            logger.debug("peer frame", metadata: ["type": "\(frame.type)", "bytes": "\(frame.payload.count)"])
                        })
                }
            }
            logger.info("listening for peers", metadata: ["address": "\(config.listenAddress):\(config.listenPort)"])
            context.markReady()
            await context.serve(channel)
        }
    }
}

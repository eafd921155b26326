import NIOCore
import NIOPosix
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `pgraft-consensus`: the hub of the node. This stage serves `<run_dir>/consensus.sock`, where
/// transport and storage will connect, and answers its liveness probe; the Raft engine plugs in next.
@main
enum ConsensusMain {
    static func main() async {
        await ComponentRuntime.main(name: "consensus") { context in
            let path = context.config.consensusSocketPath
            let logger = context.logger
            let channel = try await context.listenUnix(path: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FrameChannelHandler(what: "connection on consensus.sock", logger: logger) { frame, context in
                            if frame.type == ConsensusFrameType.ping {
                                FrameChannelHandler.send(Frame(type: ConsensusFrameType.pong, payload: frame.payload), on: context)
                            }
                        })
                }
            }
            logger.info("serving", metadata: ["socket": "\(path)"])
            context.markReady()
            await context.serve(channel)
            unlink(path)
        }
    }
}

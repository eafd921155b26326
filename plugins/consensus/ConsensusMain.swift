import NIOCore
import NIOPosix
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `pgraft-consensus`: the Raft engine and the hub of the node. It serves `<run_dir>/consensus.sock`,
/// where storage (the durable log), the transport (the other nodes) and clients (the api) connect,
/// drives the Raft core with the real clock (`heartbeat_interval`, `election_timeout`), persists
/// through storage before acknowledging, applies committed entries to the replicated state machine,
/// publishes the cluster state in the segment and consumes the segment's command queue.
///
/// Arguments (under `components: consensus: args:`): `--snapshot-entries N` takes a snapshot and
/// compacts the log every N applied entries (default 100000).
@main
enum ConsensusMain {
    static func main() async {
        await ComponentRuntime.main(name: "consensus") { context in
            let settings = try ConsensusSettings(config: context.config, arguments: CommandLine.arguments)
            let path = context.config.consensusSocketPath
            let logger = context.logger
            // One loop for the node and all its connections: its state needs no lock.
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let counters = context.slot.flatMap { slot in context.segment?.counters(at: slot) }
            let node = ConsensusNode(loop: loop, settings: settings, logger: logger, segment: context.segment, counters: counters)
            let channel = try await context.listenUnix(path: path, group: loop) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try HubConnection(node: node, logger: logger).install(on: channel)
                }
            }
            loop.execute { node.start() }
            logger.info("serving", metadata: ["socket": "\(path)", "node": "\(settings.nodeId)"])
            context.markReady()
            await context.serve(channel)
            unlink(path)
        }
    }
}

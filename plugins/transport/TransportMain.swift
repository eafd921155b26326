import NIOCore
import NIOPosix
import PGRaftKit
import PGRaftTLS

/// `pgraft-transport`: owns the node's TCP port for the other nodes (`listen_address:listen_port`).
/// This stage binds the port and accepts peer connections: a connection must greet within
/// `peer_timeout` with this node's cluster name, a member's node id and this protocol version, or
/// it is refused with the reason logged and closed; bytes that are not frames close that connection
/// only. It dials every member with a higher node id (reconnecting with backoff), so each pair of
/// nodes shares one connection; the members are the configured ones until consensus announces the
/// membership it has applied. Raft messages cross between the peers and consensus
/// (`consensus.sock`, see `HubFrameType`) as opaque bytes.
@main
enum TransportMain {
    static func main() async {
        await ComponentRuntime.main(name: "transport") { context in
            let config = context.config
            let logger = context.logger
            let identity = PeerSession.Identity(
                cluster: config.clusterName, nodeId: UInt64(config.nodeId),
                secret: try config.clusterSecretFile.map { path throws(SecretFileError) in try ClusterSecret.load(path: path) },
                tls: try config.tls.map { files throws(TLSFilesError) in try PeerTLS(files: files, logger: logger) })
            if identity.secret == nil && identity.tls == nil {
                logger.notice("peers are not authenticated: set tls or cluster_secret_file to refuse processes that only know the cluster name")
            }
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let counters = context.slot.flatMap { slot in context.segment?.counters(at: slot) }
            let table = PeerTable(loop: loop, logger: logger, counters: counters)
            // Each pair of nodes shares one connection: the lower id dials the higher.
            let members = PeerMembers(configured: config.members, ownId: identity.nodeId, table: table, loop: loop, logger: logger) { member in
                PeerDialer(member: member, identity: identity, table: table, peerTimeoutMs: config.peerTimeout, loop: loop, logger: logger)
            }
            let channel = try await context.listenTCP(
                host: config.listenAddress, port: config.listenPort, setting: "listen_address/listen_port", group: loop
            ) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try PeerSession.start(
                        on: channel, identity: identity, members: members, table: table, timeoutMs: config.peerTimeout, logger: logger)
                }
            }
            logger.info(
                "listening for peers",
                metadata: ["address": "\(config.listenAddress):\(config.listenPort)", "authentication": "\(identity.authentication)"])
            let hub = ConsensusLink(path: config.consensusSocketPath, table: table, members: members, loop: loop, logger: logger)
            members.start()
            hub.start()
            table.watchLiveness(timeoutMs: config.peerTimeout)
            context.markReady()
            await context.serve(channel)
            hub.stop()
            members.stop()
        }
    }
}


import Logging
import NIOCore
import NIOPosix
import PGRaftKit

/// The transport's connection to consensus on `<run_dir>/consensus.sock`: greets as the transport,
/// carries Raft messages both ways through the peer table, and reconnects (100 ms doubling up to
/// 1 s) whenever consensus is not there, e.g. while it restarts. Confined to one event loop.
final class ConsensusLink: Redialing, @unchecked Sendable {
    let redial: RedialState
    private let path: String
    private let table: PeerTable
    private let members: PeerMembers
    private let logger: Logger
    private var warned = false

    init(path: String, table: PeerTable, members: PeerMembers, loop: EventLoop, logger: Logger) {
        self.path = path
        self.table = table
        self.members = members
        self.redial = RedialState(loop: loop, maxMs: 1000)
        self.logger = logger
    }

    func connect() {
        guard !redial.stopped else { return }
        let table = self.table
        let members = self.members
        let logger = self.logger
        ClientBootstrap(group: redial.loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FrameChannelHandler(what: "connection to consensus", logger: logger, maxPayload: Frame.localMaxPayload) { frame, _ in
                            do {
                                switch frame.type {
                                case HubFrameType.peerSend: table.send(try HubPeerMessage.decode(frame.payload))
                                case HubFrameType.members: members.announced(try HubMemberList.decode(frame.payload))
                                default: logger.warning("unexpected frame type \(frame.type) from consensus; ignored")
                                }
                            } catch {
                                logger.warning("malformed message from consensus: \(error)")
                            }
                        })
                }
            }
            .connect(unixDomainSocketPath: path)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.connected(channel)
                case .failure(let error):
                    if !self.warned {
                        self.warned = true
                        self.logger.info("consensus is not reachable yet at \(self.path) (\(error)); retrying")
                    }
                    self.retry()
                }
            }
    }

    private func connected(_ channel: Channel) {
        guard adopt(channel) else { return }
        resetBackoff()
        warned = false
        logger.info("connected to consensus", metadata: ["socket": "\(path)"])
        channel.send(Frame(type: HubFrameType.transportHello, payload: []))
        table.hubConnected(channel)
        channel.closeFuture.whenComplete { _ in
            self.redial.channel = nil
            self.table.hubDisconnected(channel)
            if !self.redial.stopped { self.logger.warning("lost the connection to consensus; reconnecting") }
            self.retry()
        }
    }
}

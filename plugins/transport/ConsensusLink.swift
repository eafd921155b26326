import Logging
import NIOCore
import NIOPosix
import PGRaftKit

/// The transport's connection to consensus on `<run_dir>/consensus.sock`: greets as the transport,
/// carries Raft messages both ways through the peer table, and reconnects (100 ms doubling up to
/// 1 s) whenever consensus is not there, e.g. while it restarts. Confined to one event loop.
final class ConsensusLink: ConsensusLinking, @unchecked Sendable {
    let redial: RedialState
    private let path: String
    private let table: PeerTable
    private let members: PeerMembers
    let logger: Logger

    init(path: String, table: PeerTable, members: PeerMembers, loop: EventLoop, logger: Logger) {
        self.path = path
        self.table = table
        self.members = members
        self.redial = RedialState(loop: loop, maxMs: 1000)
        self.logger = logger
    }

    var socketPath: String { path }
    var helloType: UInt16 { HubFrameType.transportHello }

    func received(_ frame: Frame, on context: ChannelHandlerContext) {
        do {
            switch frame.type {
            case HubFrameType.peerSend: table.send(try HubPeerMessage.decode(frame.payload))
            case HubFrameType.members: members.announced(try HubMemberList.decode(frame.payload))
            default: logger.warning("unexpected frame type \(frame.type) from consensus; ignored")
            }
        } catch {
            logger.warning("malformed message from consensus: \(error)")
        }
    }

    func linkUp(_ channel: Channel) {
        table.hubConnected(channel)
    }

    func linkDown(_ channel: Channel) {
        table.hubDisconnected(channel)
    }
}

import Logging
import NIOCore
import PGRaftKit

/// One connection on consensus.sock. Its first frame says who connected (storage, transport, a
/// client, or a liveness probe); later frames must be of that party's protocol. Runs on the node's loop.
final class HubConnection: @unchecked Sendable {
    private enum Party {
        case unknown, storage, transport, client
    }

    private let node: ConsensusNode
    private let logger: Logger
    private var party = Party.unknown

    init(node: ConsensusNode, logger: Logger) {
        self.node = node
        self.logger = logger
    }

    /// Installs the frame handler on `channel`.
    func install(on channel: Channel) throws {
        try channel.pipeline.syncOperations.addHandler(
            FrameChannelHandler(what: "connection on consensus.sock", logger: logger, maxPayload: Frame.localMaxPayload) { [self] frame, context in
                received(frame, on: context.channel)
            })
        channel.closeFuture.whenComplete { [node] _ in node.disconnected(channel) }
    }

    private func received(_ frame: Frame, on channel: Channel) {
        switch (party, frame.type) {
        case (_, ConsensusFrameType.ping):
            channel.send(Frame(type: ConsensusFrameType.pong, payload: frame.payload))
        case (.unknown, StorageFrameType.hello):
            party = .storage
            node.storageConnected(channel)
        case (.unknown, HubFrameType.transportHello):
            party = .transport
            node.transportConnected(channel)
        case (.unknown, ClientFrameType.hello):
            party = .client
        case (.storage, StorageFrameType.reply):
            node.storageReply(frame.payload, on: channel)
        case (.transport, HubFrameType.peerReceived):
            node.peerMessage(frame.payload)
        case (.transport, HubFrameType.peerStatus):
            node.peerStatus(frame.payload)
        case (.client, ClientFrameType.request):
            node.clientRequest(frame.payload, on: channel)
        default:
            logger.warning("closing a connection on consensus.sock: frame type \(frame.type) is not expected from \(party)")
            channel.close(promise: nil)
        }
    }
}

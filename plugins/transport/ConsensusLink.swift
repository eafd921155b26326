import Logging
import NIOCore
import NIOPosix
import PGRaftKit

/// The transport's connection to consensus on `<run_dir>/consensus.sock`: greets as the transport,
/// carries Raft messages both ways through the peer table, and reconnects (100 ms doubling up to
/// 1 s) whenever consensus is not there, e.g. while it restarts. Confined to one event loop.
final class ConsensusLink: @unchecked Sendable {
    private let path: String
    private let table: PeerTable
    private let loop: EventLoop
    private let logger: Logger
    private var backoffMs: Int64 = 100
    private var channel: Channel?
    private var stopped = false
    private var warned = false

    init(path: String, table: PeerTable, loop: EventLoop, logger: Logger) {
        self.path = path
        self.table = table
        self.loop = loop
        self.logger = logger
    }

    /// Starts connecting.
    func start() {
        loop.execute { self.connect() }
    }

    /// Closes the connection and stops reconnecting.
    func stop() {
        loop.execute {
            self.stopped = true
            self.channel?.close(promise: nil)
        }
    }

    private func connect() {
        guard !stopped else { return }
        let table = self.table
        let logger = self.logger
        ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FrameChannelHandler(what: "connection to consensus", logger: logger) { frame, _ in
                            guard frame.type == HubFrameType.peerSend else { return }
                            do {
                                table.send(try HubPeerMessage.decode(frame.payload))
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
        guard !stopped else {
            channel.close(promise: nil)
            return
        }
        self.channel = channel
        backoffMs = 100
        warned = false
        logger.info("connected to consensus", metadata: ["socket": "\(path)"])
        channel.writeAndFlush(channel.allocator.buffer(bytes: Frame(type: HubFrameType.transportHello, payload: []).encoded()), promise: nil)
        table.hubConnected(channel)
        channel.closeFuture.whenComplete { _ in
            self.channel = nil
            self.table.hubDisconnected(channel)
            if !self.stopped { self.logger.warning("lost the connection to consensus; reconnecting") }
            self.retry()
        }
    }

    private func retry() {
        guard !stopped else { return }
        let delay = backoffMs
        backoffMs = min(backoffMs * 2, 1000)
        loop.scheduleTask(in: .milliseconds(delay)) { self.connect() }
    }
}

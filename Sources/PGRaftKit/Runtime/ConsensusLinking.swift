import Logging
import NIOCore
import NIOPosix

/// A component's connection to consensus on `<run_dir>/consensus.sock`, kept up by redialling
/// (consensus restarts, or starts after the component): it greets with `helloType`, hands every
/// frame to `received`, and reports when the link is up and when it is lost. A failure to connect
/// is logged once until a connection succeeds again.
public protocol ConsensusLinking: Redialing {
    /// The socket's path.
    var socketPath: String { get }
    /// Where the link's events are logged.
    var logger: Logger { get }
    /// The frame type of the greeting that tells consensus which party connects.
    var helloType: UInt16 { get }
    /// A frame from consensus (on the link's loop).
    func received(_ frame: Frame, on context: ChannelHandlerContext)
    /// The link is up on `channel`, greeting sent.
    func linkUp(_ channel: Channel)
    /// The link on `channel` is gone; a new one is being dialled.
    func linkDown(_ channel: Channel)
}

extension ConsensusLinking {
    /// Dials the socket once (see `Redialing`).
    public func connect() {
        guard !redial.stopped else { return }
        let logger = self.logger
        ClientBootstrap(group: redial.loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FrameChannelHandler(what: "connection to consensus", logger: logger, maxPayload: Frame.localMaxPayload) {
                            frame, context in
                            self.received(frame, on: context)
                        })
                }
            }
            .connect(unixDomainSocketPath: socketPath)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.established(channel)
                case .failure(let error):
                    if !self.redial.problemLogged {
                        self.redial.problemLogged = true
                        self.logger.info("consensus is not reachable yet at \(self.socketPath) (\(error)); retrying")
                    }
                    self.retry()
                }
            }
    }

    private func established(_ channel: Channel) {
        guard adopt(channel) else { return }
        resetBackoff()
        redial.problemLogged = false
        logger.info("connected to consensus", metadata: ["socket": "\(socketPath)"])
        channel.send(Frame(type: helloType, payload: []))
        linkUp(channel)
        channel.closeFuture.whenComplete { _ in
            self.redial.channel = nil
            self.linkDown(channel)
            if !self.redial.stopped { self.logger.warning("lost the connection to consensus; reconnecting") }
            self.retry()
        }
    }
}

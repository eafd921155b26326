import Logging
import NIOCore

/// Decodes frames from one stream connection and hands each to `onFrame`; bytes that cannot be a
/// frame sequence (an absurd length, a foreign protocol version) close this connection and nothing else.
public final class FrameChannelHandler: ChannelInboundHandler {
    /// Raw bytes in.
    public typealias InboundIn = ByteBuffer
    /// Raw bytes out.
    public typealias OutboundOut = ByteBuffer
    /// Called for each whole frame; may write replies on the context.
    public typealias FrameCallback = (Frame, ChannelHandlerContext) -> Void

    private var decoder: FrameDecoder
    private let logger: Logger
    private let what: String
    private let onFrame: FrameCallback
    private let onError: ((Error, ChannelHandlerContext) -> Void)?

    /// A handler for a connection described as `what` in the log (e.g. "peer connection");
    /// `onError` hears an I/O or TLS error before the connection closes.
    public init(
        what: String, logger: Logger, maxPayload: Int = Frame.defaultMaxPayload,
        onError: ((Error, ChannelHandlerContext) -> Void)? = nil, onFrame: @escaping FrameCallback
    ) {
        self.decoder = FrameDecoder(maxPayload: maxPayload)
        self.what = what
        self.logger = logger
        self.onError = onError
        self.onFrame = onFrame
    }

    /// Feeds the bytes to the decoder and dispatches every whole frame.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        decoder.feed(unwrapInboundIn(data).readableBytesView)
        do {
            while let frame = try decoder.next() {
                onFrame(frame, context)
            }
        } catch {
            logger.warning(
                "closing \(what)",
                metadata: ["remote": "\(context.remoteAddress.display)", "reason": "\(error)"])
            context.close(promise: nil)
        }
    }

    /// Writes `frame` to the connection.
    public static func send(_ frame: Frame, on context: ChannelHandlerContext) {
        context.channel.send(frame)
    }

    /// Any I/O error ends this connection.
    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        onError?(error, context)
        context.close(promise: nil)
    }
}

extension Channel {
    /// Writes `frame` to this connection and flushes it.
    public func send(_ frame: Frame) {
        writeAndFlush(allocator.buffer(bytes: frame.encoded()), promise: nil)
    }
}

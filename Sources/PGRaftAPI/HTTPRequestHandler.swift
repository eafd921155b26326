import NIOCore
import NIOHTTP1
import NIOSSL
import PGRaftKit

/// One HTTP/1.1 connection: collects each request's body (refusing one over the router's limit
/// with 413 as soon as it is known to be too large), answers through the router asynchronously,
/// honours keep-alive.
///
/// Pipelined requests are answered in order: NIO's `HTTPServerPipelineHandler` (installed by
/// `configureHTTPServerPipeline`) holds the next request back until this one's response has ended.
final class HTTPRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Between requests.
        case idle
        /// Collecting the body of `head`.
        case collecting(head: HTTPRequestHead, body: ByteBuffer)
        /// The request was answered before its end (413); its remaining parts are dropped.
        case discarding
        /// The answer to the request is being computed.
        case answering
    }

    private let router: APIRouter
    private let counters: ComponentCounters?
    private var state = State.idle

    init(router: APIRouter, counters: ComponentCounters?) {
        self.router = router
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), _):
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > router.maxBodyBytes {
                refuseTooLarge(length, head, context: context)
            } else {
                state = .collecting(head: head, body: context.channel.allocator.buffer(capacity: 0))
            }
        case (.body(var chunk), .collecting(let head, var body)):
            state = .answering  // let the buffer be uniquely referenced while it grows
            guard body.readableBytes + chunk.readableBytes <= router.maxBodyBytes else {
                refuseTooLarge(body.readableBytes + chunk.readableBytes, head, context: context)
                return
            }
            body.writeBuffer(&chunk)
            state = .collecting(head: head, body: body)
        case (.end, .collecting(let head, let body)):
            state = .answering
            answer(head, body: Array(body.readableBytesView), context: context)
        case (.end, .discarding):
            state = .idle
        case (.body, _), (.end, _):
            break
        }
    }

    private func refuseTooLarge(_ size: Int, _ head: HTTPRequestHead, context: ChannelHandlerContext) {
        state = .discarding
        // The rest of the body is not read: the connection closes after the answer.
        write(
            .error(413, "the request body is \(size) bytes or more, over api.max_value_bytes (\(router.maxBodyBytes))"),
            for: head, keepAlive: false, context: context)
    }

    private func answer(_ head: HTTPRequestHead, body: [UInt8], context: ChannelHandlerContext) {
        // With api.tls, TLS verified a client certificate against api.tls.ca_file if one was offered.
        let certified = (try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self))?.peerCertificate != nil
        let request = APIRequest(
            method: head.method.rawValue, uri: head.uri, body: body, authorization: head.headers.first(name: "Authorization"),
            certified: certified)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        router.respond(to: request, on: context.eventLoop).whenSuccess { response in
            let (handler, context) = bound.value
            handler.state = .idle
            handler.write(response, for: head, keepAlive: head.isKeepAlive, context: context)
        }
    }

    private func write(_ response: APIResponse, for request: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        counters?.increment(.httpRequests)
        if response.status >= 400 { counters?.increment(.httpErrors) }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(
            version: request.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

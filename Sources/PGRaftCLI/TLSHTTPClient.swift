import NIOCore
import NIOPosix
import NIOSSL
import PGRaftKit

/// One HTTPS request at a time to a node's API when it serves TLS (`api.tls`): the server's
/// certificate must chain to `trustRoots`; a client certificate, when given, authenticates the
/// request (`api.tls.ca_file`). Blocking, like `BlockingHTTPClient`, whose request and response
/// forms it shares.
public struct TLSHTTPClient: Sendable {
    /// The host to connect to.
    public let host: String
    /// The port.
    public let port: Int
    private let context: NIOSSLContext
    private let timeoutSeconds: Int64

    /// A client of `host:port` trusting the PEM certificates in `trustRoots`, presenting the
    /// certificate and key in `clientCertificate` if given.
    public init(host: String, port: Int, trustRoots: String, clientCertificate: (certificate: String, key: String)? = nil, timeoutSeconds: Int = 60) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(trustRoots)
        // The chain is checked; the name is not: pgraftctl reaches its own node at the address its
        // configuration gives, which the certificate need not name.
        configuration.certificateVerification = .noHostnameVerification
        if let clientCertificate {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCertificate.certificate).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientCertificate.key, format: .pem))
        }
        context = try NIOSSLContext(configuration: configuration)
        self.host = host
        self.port = port
        self.timeoutSeconds = Int64(timeoutSeconds)
    }

    /// Sends `method target` with `body` and reads the whole response.
    public func request(
        _ method: String, _ target: String, body: [UInt8] = [], headers: [(String, String)] = []
    ) throws(BlockingHTTPClient.Failure) -> BlockingHTTPClient.Response {
        let bytes = BlockingHTTPClient.requestBytes(method, target, host: host, port: port, body: body, headers: headers)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let collector = ResponseCollector(promise: loop.makePromise())
        let context = self.context
        let channel: Channel
        do {
            channel = try ClientBootstrap(group: loop)
                .connectTimeout(.seconds(timeoutSeconds))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                        try channel.pipeline.syncOperations.addHandler(collector)
                    }
                }
                .connect(host: host, port: port).wait()
        } catch {
            // No connection, so no answer: the promise must still be completed.
            collector.promise.fail(error)
            throw .unreachable("\(error)")
        }
        let received: [UInt8]
        do {
            channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
            let deadline = loop.scheduleTask(in: .seconds(timeoutSeconds)) { channel.close(promise: nil) }
            defer { deadline.cancel() }
            received = try collector.promise.futureResult.wait()
        } catch {
            throw .broken("\(error)")
        }
        return try BlockingHTTPClient.parse(received)
    }

    /// Collects what the server sends until it closes.
    private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<[UInt8]>
        private var bytes: [UInt8] = []

        init(promise: EventLoopPromise<[UInt8]>) {
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            bytes += unwrapInboundIn(data).readableBytesView
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.succeed(bytes)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            // A server that closes without TLS's close_notify after a whole answer is still an answer.
            if bytes.isEmpty { promise.fail(error) } else { promise.succeed(bytes) }
            context.close(promise: nil)
        }
    }
}

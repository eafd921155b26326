#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Why a control request got no answer.
public enum ControlClientError: Error, CustomStringConvertible {
    /// Nothing listens at the socket: the supervisor is not running, or runs elsewhere.
    case unreachable(path: String, underlying: SystemError)
    /// The supervisor closed the connection or answered with something that is not a response.
    case badResponse(path: String, detail: String)

    /// A sentence for the operator.
    public var description: String {
        switch self {
        case .unreachable(let path, let underlying):
            return "cannot reach pgraftd at \(path) (is it running?): \(underlying)"
        case .badResponse(let path, let detail):
            return "bad answer from pgraftd at \(path): \(detail)"
        }
    }
}

/// A blocking client of the supervisor's control socket: one request, one response, per connection.
public struct ControlClient: Sendable {
    /// The socket path (`<run_dir>/pgraftd.sock`).
    public var socketPath: String
    /// How long to wait for the answer.
    public var timeoutSeconds: Int

    /// A client of the supervisor listening at `socketPath`.
    public init(socketPath: String, timeoutSeconds: Int = 30) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends `request` and waits for the supervisor's response.
    public func send(_ request: ControlRequest) throws -> ControlResponse {
        let fd: Int32
        do {
            fd = try UnixSocket.connect(path: socketPath)
        } catch let error as SystemError {
            throw ControlClientError.unreachable(path: socketPath, underlying: error)
        }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try UnixSocket.writeAll(fd, ControlCodec.frame(request, type: ControlFrameType.request).encoded())
        var decoder = FrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let frame = try decoder.next() {
                guard frame.type == ControlFrameType.response else {
                    throw ControlClientError.badResponse(path: socketPath, detail: "frame type \(frame.type)")
                }
                return try ControlCodec.decode(ControlResponse.self, from: frame)
            }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw ControlClientError.badResponse(path: socketPath, detail: "no answer within \(timeoutSeconds) s")
            }
            guard n > 0 else {
                throw ControlClientError.badResponse(path: socketPath, detail: "connection closed before the answer")
            }
            decoder.feed(buffer[0..<n])
        }
    }
}

/// Why a control request got no answer.
public enum ControlClientError: Error, CustomStringConvertible {
    /// Nothing listens at the socket: the supervisor is not running, or runs elsewhere.
    case unreachable(path: String, reason: String)
    /// The supervisor closed the connection or answered with something that is not a response.
    case badResponse(path: String, detail: String)

    /// A sentence for the operator.
    public var description: String {
        switch self {
        case .unreachable(let path, let reason):
            return "cannot reach pgraftd at \(path) (is it running?): \(reason)"
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
        let socket: BlockingSocket
        do {
            socket = try BlockingSocket.connect(path: socketPath, timeoutSeconds: timeoutSeconds)
        } catch {
            throw ControlClientError.unreachable(path: socketPath, reason: error.description)
        }
        let bytes = try ControlCodec.frame(request, type: ControlFrameType.request).encoded()
        do {
            try socket.send(bytes)
        } catch {
            throw ControlClientError.unreachable(path: socketPath, reason: error.description)
        }
        let frame: Frame
        do {
            frame = try socket.receiveFrame()
        } catch {
            switch error.kind {
            case .timedOut: throw ControlClientError.badResponse(path: socketPath, detail: "no answer within \(timeoutSeconds) s")
            case .closed: throw ControlClientError.badResponse(path: socketPath, detail: "connection closed before the answer")
            case .unreachable, .failed: throw ControlClientError.badResponse(path: socketPath, detail: error.description)
            }
        }
        guard frame.type == ControlFrameType.response else {
            throw ControlClientError.badResponse(path: socketPath, detail: "frame type \(frame.type)")
        }
        return try ControlCodec.decode(ControlResponse.self, from: frame)
    }
}

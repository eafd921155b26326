import CShims
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The supervisor's control socket, served from its one loop without threads: every descriptor is
/// non-blocking, each connection carries one request and gets one response.
final class ControlServer {
    private struct Connection {
        var decoder = FrameDecoder(maxPayload: 1024 * 1024)
        let acceptedAtMs: Int64
    }

    /// The socket path.
    let path: String
    /// The listening descriptor.
    let listenFD: Int32
    private var connections: [Int32: Connection] = [:]
    /// A connection that sends no whole request within this time is closed.
    private let requestTimeoutMs: Int64 = 5000

    /// Listens at `path`.
    init(path: String) throws {
        self.path = path
        self.listenFD = try UnixSocket.listen(path: path)
    }

    /// Connections served at once; more wait in the listen backlog.
    static let maxConnections = 32

    /// Descriptors to poll for input (the listening socket only while there is room for a connection).
    var descriptors: [Int32] {
        (connections.count < Self.maxConnections ? [listenFD] : []) + connections.keys.sorted()
    }

    /// Accepts, reads and answers whatever is ready; `handle` turns a request into a response.
    func service(nowMs: Int64, handle: (ControlRequest) -> ControlResponse) {
        while connections.count < Self.maxConnections {
            let fd = pgr_accept_nonblocking(listenFD)
            guard fd >= 0 else { break }
            connections[fd] = Connection(acceptedAtMs: nowMs)
        }
        for fd in connections.keys.sorted() {
            readRequest(fd: fd, nowMs: nowMs, handle: handle)
        }
    }

    /// Closes every connection and the socket, and removes the socket file.
    func shutdown() {
        for fd in connections.keys { close(fd) }
        connections.removeAll()
        close(listenFD)
        unlink(path)
    }

    private func readRequest(fd: Int32, nowMs: Int64, handle: (ControlRequest) -> ControlResponse) {
        guard var connection = connections[fd] else { return }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var closed = false
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                connection.decoder.feed(buffer[0..<n])
                continue
            }
            if n < 0 && errno == EINTR { continue }
            closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
            break
        }
        let response: ControlResponse?
        do {
            if let frame = try connection.decoder.next() {
                if frame.type == ControlFrameType.request {
                    response = handle(try ControlCodec.decode(ControlRequest.self, from: frame))
                } else {
                    response = .failure("unexpected frame type \(frame.type) on the control socket")
                }
            } else {
                response = nil
            }
        } catch {
            response = .failure("malformed control request: \(error)")
        }
        if let response {
            reply(fd: fd, response)
            finish(fd)
        } else if closed || nowMs - connection.acceptedAtMs > requestTimeoutMs {
            finish(fd)
        } else {
            connections[fd] = connection
        }
    }

    private func reply(fd: Int32, _ response: ControlResponse) {
        guard let bytes = try? ControlCodec.frame(response, type: ControlFrameType.response).encoded() else { return }
        // The answer is small and the socket buffer empty: a short blocking write is safe.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try? UnixSocket.writeAll(fd, bytes)
    }

    private func finish(_ fd: Int32) {
        connections[fd] = nil
        close(fd)
    }
}

import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A blocking TCP connection to 127.0.0.1 for tests that speak a protocol by hand.
public final class LoopbackConnection {
    /// The socket.
    public let fd: Int32
    private var decoder = FrameDecoder()

    /// Connects to 127.0.0.1:`port`; reads give up after `timeoutSeconds`.
    public init(port: Int, timeoutSeconds: Int = 10) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            let error = SystemError("connect 127.0.0.1:\(port)")
            close(fd)
            throw error
        }
        self.fd = fd
    }

    /// Takes over an already connected socket (a Unix socket a test accepted, say).
    public init(adopting fd: Int32, timeoutSeconds: Int = 10) {
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
    }

    /// Accepts one connection on listening socket `listener` within `timeoutSeconds`.
    public static func accept(on listener: Int32, timeoutSeconds: Int = 10) -> LoopbackConnection? {
        var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(timeoutSeconds * 1000)) == 1 else { return nil }
        let fd = Glibc.accept(listener, nil, nil)
        return fd >= 0 ? LoopbackConnection(adopting: fd, timeoutSeconds: timeoutSeconds) : nil
    }

    deinit {
        close(fd)
    }

    /// Writes all of `bytes`.
    public func send(_ bytes: [UInt8]) throws {
        try UnixSocket.writeAll(fd, bytes)
    }

    /// Reads until the peer closes or the read timeout passes; returns everything received and
    /// whether the peer closed the connection.
    public func readUntilClosed() -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n > 0 {
                received.append(contentsOf: buffer[0..<n])
                continue
            }
            return (received, n == 0 || errno == ECONNRESET)
        }
    }

    /// Reads until one whole frame has arrived; nil if the connection closed or timed out first.
    public func readFrame() -> Frame? {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            if let frame = try? decoder.next() { return frame }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            decoder.feed(buffer[0..<n])
        }
    }
}

import CShims

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Why a blocking socket could not connect, send or read, in a sentence that names the peer.
public struct SocketError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What kind of failure, for callers that answer differently to each.
    public enum Kind: Sendable, Equatable {
        /// Nothing listens there, or the name does not resolve, or the host cannot be reached.
        case unreachable
        /// No answer within the socket's timeout.
        case timedOut
        /// The peer closed (or reset) the connection.
        case closed
        /// Any other failed call (a refused write, a read error other than a reset).
        case failed
    }

    /// What kind of failure.
    public var kind: Kind
    /// What happened, naming the peer, e.g. "connect 127.0.0.1:8008: Connection refused".
    public var description: String
    /// The cause alone, for callers that name the peer themselves, e.g. "Connection refused".
    public var reason: String

    /// A failure of `kind` described by `description`, caused by `reason` (the description itself
    /// when not given).
    public init(_ kind: Kind, _ description: String, reason: String? = nil) {
        self.kind = kind
        self.description = description
        self.reason = reason ?? description
    }
}

/// A blocking stream socket to a TCP or Unix-socket peer, with a timeout on every send and read:
/// the one client-side socket of pgraft's blocking callers (pgraftctl's HTTP and control clients,
/// the benchmarks' load generators, the tests' protocol clients). The event-loop components use
/// SwiftNIO instead; the storage test client multiplexes many waiters over its own socket.
public final class BlockingSocket {
    /// The connected descriptor, closed when the socket is released.
    public let fd: Int32
    /// The peer as errors name it: "host:port" or the socket path.
    public let peer: String
    private var decoder: FrameDecoder
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

    /// Takes over a connected descriptor (one a test accepted, say); sends and reads give up after
    /// `timeoutSeconds`.
    public init(adopting fd: Int32, peer: String, timeoutSeconds: Int, maxFramePayload: Int = Frame.defaultMaxPayload) {
        self.fd = fd
        self.peer = peer
        decoder = FrameDecoder(maxPayload: maxFramePayload)
        var limit = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Ends the connection in both directions now (the descriptor stays open until release), so the
    /// other end sees it closed.
    public func shutdown() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// The local port of a TCP connection (what the other end sees as this side's port), or nil.
    public var localPort: Int? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        switch Int32(address.ss_family) {
        case AF_INET: return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6: return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default: return nil
        }
    }

    /// Connects to `host:port` (a name or an IP literal, each address it resolves to in turn), with
    /// Nagle off: requests are small and answered one at a time.
    public static func connect(host: String, port: Int, timeoutSeconds: Int) throws(SocketError) -> BlockingSocket {
        let peer = "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw SocketError(.unreachable, "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = ECONNREFUSED
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastError = errno
                continue
            }
            let connection = BlockingSocket(adopting: fd, peer: peer, timeoutSeconds: timeoutSeconds)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return connection }
            lastError = errno
        }
        let reason = String(cString: strerror(lastError))
        throw SocketError(.unreachable, "connect \(peer): \(reason)", reason: reason)
    }

    /// Connects to the Unix socket at `path`.
    public static func connect(path: String, timeoutSeconds: Int, maxFramePayload: Int = Frame.defaultMaxPayload) throws(SocketError) -> BlockingSocket {
        do {
            let fd = try UnixSocket.connect(path: path)
            return BlockingSocket(adopting: fd, peer: path, timeoutSeconds: timeoutSeconds, maxFramePayload: maxFramePayload)
        } catch {
            throw SocketError(.unreachable, "\(error)")
        }
    }

    /// Accepts one connection on the listening socket `listener` within `timeoutSeconds`; nil when
    /// none came.
    public static func accept(on listener: Int32, timeoutSeconds: Int) -> BlockingSocket? {
        guard waitReadable(listener, milliseconds: timeoutSeconds * 1000) else { return nil }
        let fd = Glibc.accept(listener, nil, nil)
        return fd >= 0 ? BlockingSocket(adopting: fd, peer: "accepted connection", timeoutSeconds: timeoutSeconds) : nil
    }

    /// Writes all of `bytes` (without raising SIGPIPE when the peer is gone).
    public func send(_ bytes: [UInt8]) throws(SocketError) {
        guard UnixSocket.sendAll(fd, bytes) else {
            let reason = String(cString: strerror(errno))
            throw SocketError(.failed, "sending to \(peer) failed: \(reason)", reason: reason)
        }
    }

    /// Whether bytes (or the end of the stream) arrive within `milliseconds`.
    public func waitReadable(milliseconds: Int) -> Bool {
        Self.waitReadable(fd, milliseconds: milliseconds)
    }

    /// Polls `fd` for input for up to `milliseconds`, going on with the time left after a signal.
    private static func waitReadable(_ fd: Int32, milliseconds: Int) -> Bool {
        let deadline = pgr_monotonic_ms() + Int64(max(0, milliseconds))
        while true {
            let left = deadline - pgr_monotonic_ms()
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(clamping: max(0, left)))
            if ready < 0 && errno == EINTR { continue }
            return ready > 0
        }
    }

    /// The next bytes that arrive; empty when the peer closed the connection.
    public func receive() throws(SocketError) -> ArraySlice<UInt8> {
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { return chunk[0..<n] }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw SocketError(.timedOut, "no answer from \(peer) in time")
            case ECONNRESET: throw SocketError(.closed, "\(peer) reset the connection")
            default:
                let reason = String(cString: strerror(errno))
                throw SocketError(.failed, "reading from \(peer) failed: \(reason)", reason: reason)
            }
        }
    }

    /// Everything that arrives until the peer closes the connection (or resets it: `closed` true) or
    /// a read times out or fails (`closed` false).
    public func receiveUntilClosed() -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        while true {
            do {
                let bytes = try receive()
                if bytes.isEmpty { return (received, true) }
                received += bytes
            } catch {
                return (received, error.kind == .closed)
            }
        }
    }

    /// The next whole frame, waiting at most `milliseconds` for it (nil: the socket's own timeout);
    /// throws when the connection closes or times out first, or the bytes are not a frame.
    public func receiveFrame(within milliseconds: Int? = nil) throws(SocketError) -> Frame {
        let deadline = milliseconds.map { pgr_monotonic_ms() + Int64($0) }
        while true {
            do {
                if let frame = try decoder.next() { return frame }
            } catch {
                throw SocketError(.failed, "bad frame from \(peer): \(error)")
            }
            if let deadline {
                guard waitReadable(milliseconds: Int(deadline - pgr_monotonic_ms())) else {
                    throw SocketError(.timedOut, "no answer from \(peer) within \(milliseconds!) ms")
                }
            }
            let bytes = try receive()
            guard !bytes.isEmpty else { throw SocketError(.closed, "\(peer) closed the connection") }
            decoder.feed(bytes)
        }
    }
}

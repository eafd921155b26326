#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Blocking and non-blocking Unix domain stream sockets, with errors that name the path.
public enum UnixSocket {
    /// The longest path a `sockaddr_un` holds, without the terminating zero.
    public static let maxPathLength = 107

    /// Creates a listening socket at `path`, replacing a stale socket file left by a dead process.
    ///
    /// - Parameter nonBlocking: accept() then returns EAGAIN instead of waiting.
    public static func listen(path: String, backlog: Int32 = 64, nonBlocking: Bool = true) throws -> Int32 {
        var address = try makeAddress(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket for \(path)") }
        if nonBlocking { setNonBlocking(fd) }
        unlink(path)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let error = SystemError("bind \(path)")
            close(fd)
            throw error
        }
        chmod(path, 0o600)
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = SystemError("listen \(path)")
            close(fd)
            throw error
        }
        return fd
    }

    /// Connects to the socket at `path` (blocking).
    public static func connect(path: String) throws -> Int32 {
        var address = try makeAddress(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket for \(path)") }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let error = SystemError("connect \(path)")
            close(fd)
            throw error
        }
        return fd
    }

    /// Writes all of `bytes` to the blocking socket `fd` without raising SIGPIPE; false when the
    /// peer is gone.
    public static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// Puts `fd` in non-blocking mode.
    public static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    /// Writes all of `bytes` to the blocking socket `fd`; throws when the peer is gone.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        guard sendAll(fd, bytes) else { throw SystemError("write") }
    }

    private static func makeAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count <= maxPathLength else {
            throw SystemError("socket path \(path) is \(bytes.count) bytes, longer than \(maxPathLength)", code: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }
}

import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The key every node of a cluster shares (`cluster_secret_file`), with which peers prove to each
/// other at the handshake that they belong to the cluster: a process that only knows the cluster
/// name is refused. It never leaves the process: its description, debug description and mirror
/// show no byte of it.
public struct ClusterSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The fewest bytes a secret may have: 256 bits, the strength of the HMAC-SHA256 it keys.
    public static let minimumBytes = 32
    /// The most bytes read: a secret is a line of text, not a file's worth.
    public static let maximumBytes = 4096

    /// The key.
    public let bytes: [UInt8]
    /// The file it was read from, for messages.
    public let path: String

    /// A secret of `bytes` read from `path`.
    public init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// `<cluster secret from PATH, not shown>`.
    public var description: String { "<cluster secret from \(path), not shown>" }
    /// The same as `description`.
    public var debugDescription: String { description }
    /// A mirror without children, so `dump` and reflection show nothing of the key.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Reads the secret at `path`: a regular file that only its owner may read or write (like an
    /// SSH key or PostgreSQL's server key), whose content, without trailing white space, has at
    /// least `minimumBytes` bytes. `openssl rand -base64 48 > FILE` or `pgraftctl secret init FILE`
    /// makes one.
    /// - Throws: `ClusterSecretError` naming the file and what is wrong with it, never its content.
    public static func load(path: String) throws(ClusterSecretError) -> ClusterSecret {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw ClusterSecretError(path: path, "cannot open it: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ClusterSecretError(path: path, "cannot stat it: \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw ClusterSecretError(path: path, "it is not a regular file") }
        let others = status.st_mode & 0o077
        guard others == 0 else {
            throw ClusterSecretError(
                path: path,
                "group or others may read or write it (mode \(String(status.st_mode & 0o777, radix: 8))): run chmod 600 \(path)")
        }
        guard status.st_size <= off_t(maximumBytes) else {
            throw ClusterSecretError(path: path, "it has \(status.st_size) bytes, more than the \(maximumBytes) a secret may have")
        }
        var content = [UInt8](repeating: 0, count: maximumBytes + 1)
        var count = 0
        while count < content.count {
            let got = content.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw ClusterSecretError(path: path, "cannot read it: \(String(cString: strerror(errno)))") }
            if got == 0 { break }
            count += got
        }
        var key = Array(content[0..<count])
        while let last = key.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            key.removeLast()
        }
        guard key.count >= minimumBytes else {
            throw ClusterSecretError(
                path: path,
                "it holds \(key.count) bytes (without trailing white space), fewer than the \(minimumBytes) a secret needs: "
                    + "make one with pgraftctl secret init \(path)")
        }
        return ClusterSecret(bytes: key, path: path)
    }
}

extension ClusterSecret {
    /// The random bytes of a new secret (384 bits, written as 64 base64 characters).
    public static let generatedBytes = 48

    /// Writes a new random secret to `path`, which must not exist yet: created owner-only (0600),
    /// one line of base64, flushed to disk. Copy the same file to every node.
    /// - Throws: `ClusterSecretError` when the file exists or cannot be written; a file that
    ///   existed is left as it was.
    public static func create(path: String) throws(ClusterSecretError) -> ClusterSecret {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<generatedBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let line = Array(Data(random).base64EncodedString().utf8)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let reason = errno == EEXIST ? "it already exists; a secret is never overwritten (remove it first to replace it on every node)"
                : "cannot create it: \(String(cString: strerror(errno)))"
            throw ClusterSecretError(path: path, reason)
        }
        defer { close(descriptor) }
        let content = line + [UInt8(ascii: "\n")]
        let written = content.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == content.count, fsync(descriptor) == 0 else {
            let reason = "cannot write it: \(String(cString: strerror(errno)))"
            unlink(path)
            throw ClusterSecretError(path: path, reason)
        }
        return ClusterSecret(bytes: line, path: path)
    }
}

/// Why a `cluster_secret_file` cannot be used.
public struct ClusterSecretError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// What is wrong with it.
    public let problem: String

    /// The error for `path`.
    public init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    /// `cluster_secret_file PATH: problem`.
    public var description: String { "cluster_secret_file \(path): \(problem)" }
}

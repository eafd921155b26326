import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The key every node of a cluster shares (`cluster_secret_file`), with which peers prove to each
/// other at the handshake that they belong to the cluster: a process that only knows the cluster
/// name is refused. It never leaves the process: its description, debug description and mirror
/// show no byte of it.
public struct ClusterSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The fewest bytes a secret may have. Bytes of text, not of randomness: 32 base64 characters
    /// carry 192 random bits, 32 hex characters 128, a typed phrase far fewer; `pgraftctl secret
    /// init` writes 48 random bytes (64 base64 characters).
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

    /// Reads the secret at `path`: an owner-only file (`SecretFile`) whose content, without
    /// trailing white space, has at least `minimumBytes` bytes. `openssl rand -base64 48 > FILE` or
    /// `pgraftctl secret init FILE` makes one.
    /// - Throws: `SecretFileError` naming the file and what is wrong with it, never its content.
    public static func load(path: String) throws(SecretFileError) -> ClusterSecret {
        var key = try SecretFile.read(path: path, setting: setting, maxBytes: maximumBytes)
        while let last = key.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            key.removeLast()
        }
        guard key.count >= minimumBytes else {
            throw SecretFileError(
                setting: setting, path: path,
                "it holds \(key.count) bytes (without trailing white space), fewer than the \(minimumBytes) a secret needs: "
                    + "make one with pgraftctl secret init \(path)")
        }
        return ClusterSecret(bytes: key, path: path)
    }

    /// The setting that names the file, for messages.
    static let setting = "cluster_secret_file"
}

extension ClusterSecret {
    /// The random bytes of a new secret (384 bits, written as 64 base64 characters).
    public static let generatedBytes = 48

    /// Writes a new random secret to `path`, which must not exist yet: created owner-only (0600),
    /// one line of base64, flushed to disk. Copy the same file to every node.
    /// - Throws: `SecretFileError` when the file exists or cannot be written; a file that
    ///   existed is left as it was.
    public static func create(path: String) throws(SecretFileError) -> ClusterSecret {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<generatedBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let line = Array(Data(random).base64EncodedString().utf8)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let reason = errno == EEXIST ? "it already exists; a secret is never overwritten (remove it first to replace it on every node)"
                : "cannot create it: \(String(cString: strerror(errno)))"
            throw SecretFileError(setting: setting, path: path, reason)
        }
        defer { close(descriptor) }
        let content = line + [UInt8(ascii: "\n")]
        let written = content.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == content.count, fsync(descriptor) == 0 else {
            let reason = "cannot write it: \(String(cString: strerror(errno)))"
            unlink(path)
            throw SecretFileError(setting: setting, path: path, reason)
        }
        return ClusterSecret(bytes: line, path: path)
    }
}

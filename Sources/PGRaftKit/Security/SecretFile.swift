import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A file that holds a secret (the cluster secret, the API's tokens): read only when it is a
/// regular file (a symbolic link is followed, as secret stores mount them) that belongs to this
/// process's user or to root and that no one else may read or write, like an SSH key or
/// PostgreSQL's server key, and small.
public enum SecretFile {
    /// The bytes of the file at `path`, named by `setting` in errors.
    /// - Throws: `SecretFileError` naming the setting, the file and what is wrong, never its content.
    public static func read(path: String, setting: String, maxBytes: Int) throws(SecretFileError) -> [UInt8] {
        func failure(_ problem: String) -> SecretFileError { SecretFileError(setting: setting, path: path, problem) }
        // Non-blocking: a FIFO at the path must not hang the component; it is refused below.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw failure("cannot open it: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("cannot stat it: \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw failure("it is not a regular file") }
        guard status.st_uid == geteuid() || status.st_uid == 0 else {
            throw failure("it belongs to uid \(status.st_uid), neither this process's user (uid \(geteuid())) nor root: run chown on it")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw failure("group or others may read or write it (mode \(String(status.st_mode & 0o777, radix: 8))): run chmod 600 \(path)")
        }
        guard status.st_size <= off_t(maxBytes) else {
            throw failure("it has \(status.st_size) bytes, more than the \(maxBytes) it may have")
        }
        var content = [UInt8](repeating: 0, count: maxBytes + 1)
        var count = 0
        while count < content.count {
            let got = content.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw failure("cannot read it: \(String(cString: strerror(errno)))") }
            if got == 0 { break }
            count += got
        }
        guard count <= maxBytes else { throw failure("it has more than the \(maxBytes) bytes it may have") }
        return Array(content[0..<count])
    }
}

/// Why a file named by a secret's setting (`cluster_secret_file`, `api.token_file`) cannot be used.
public struct SecretFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The setting that names the file.
    public let setting: String
    /// The file.
    public let path: String
    /// What is wrong with it.
    public let problem: String

    /// The error for `path`, named by `setting`.
    public init(setting: String, path: String, _ problem: String) {
        self.setting = setting
        self.path = path
        self.problem = problem
    }

    /// `SETTING PATH: problem`.
    public var description: String { "\(setting) \(path): \(problem)" }
}

/// A component that cannot use its secret file stays FAILED, with the file and the problem in its
/// log, until the operator fixes the file and restarts it: no restart repairs a file's content or mode.
extension SecretFileError: ComponentFailure {
    /// Always: see the extension.
    public var isPermanent: Bool { true }
}

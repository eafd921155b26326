#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An exclusive `flock` on a file that holds the owner's pid, so that a second owner is refused with
/// the pid of the first. The kernel drops the lock when the owner dies, however it dies.
public final class PIDLockFile {
    /// Why the lock was not taken.
    public enum LockError: Error, CustomStringConvertible {
        /// Another live process holds it.
        case held(path: String, holder: String)
        /// The file could not be opened.
        case system(SystemError)

        /// A sentence for the operator.
        public var description: String {
            switch self {
            case .held(let path, let holder): return "\(path) is locked by another process (pid \(holder))"
            case .system(let error): return error.description
            }
        }
    }

    /// The lock file's path.
    public let path: String
    private var fd: Int32

    /// Takes the lock at `path` (creating the file) or throws at once if another process holds it.
    public init(path: String) throws(LockError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(SystemError("open \(path)")) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var bytes = [UInt8](repeating: 0, count: 32)
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            close(fd)
            let text = n > 0 ? String(decoding: bytes[0..<n], as: UTF8.self) : ""
            let holder = text.filter(\.isNumber)
            throw .held(path: path, holder: holder.isEmpty ? "unknown" : holder)
        }
        ftruncate(fd, 0)
        let text = Array("\(getpid())\n".utf8)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.path = path
        self.fd = fd
    }

    /// Releases the lock; with `removeFile`, deletes the file first (only the owner may).
    public func release(removeFile: Bool) {
        guard fd >= 0 else { return }
        if removeFile { unlink(path) }
        close(fd)
        fd = -1
    }

    deinit {
        release(removeFile: false)
    }
}

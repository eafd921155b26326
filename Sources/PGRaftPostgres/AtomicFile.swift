import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Replaces a small file whole: a temporary sibling is written, flushed, given to the server's user
/// and renamed over the old one, so a reader (the server, a crash) sees the old text or the new one.
enum AtomicFile {
    /// Writes `text` to `path` with `mode`, owned by `owner`. Returns whether the content changed.
    @discardableResult
    static func write(_ text: String, to path: String, mode: mode_t = 0o600, owner: OSUser) throws -> Bool {
        if let old = try? String(contentsOfFile: path, encoding: .utf8), old == text {
            try owner.own(path)
            return false
        }
        let temporary = path + ".pgraft-new"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("cannot create \(temporary)") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else {
            unlink(temporary)
            throw failure("cannot write \(temporary)")
        }
        do { try owner.own(temporary) } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else { throw failure("cannot rename \(temporary) to \(path)") }
        return true
    }

    private static func failure(_ what: String) -> PostgresError {
        PostgresError(.environment, "\(what): \(String(cString: strerror(errno)))")
    }
}

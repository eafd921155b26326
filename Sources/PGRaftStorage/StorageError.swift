import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Why a storage operation or the start of storage failed.
public enum StorageError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The data directory holds something recovery must not repair: a bad record before the tail, a
    /// missing segment, a hard state past the log. Nothing was deleted.
    case corrupt(file: String, offset: UInt64, reason: String)
    /// A system call failed.
    case io(operation: String, errno: Int32)
    /// The request is not valid against the log (a gap, a term that goes back, a range upside down);
    /// nothing was changed.
    case invalidRequest(String)
    /// The index is at or below the compaction point: only the snapshot covers it.
    case compacted(index: UInt64, firstIndex: UInt64)
    /// The index is past the last entry.
    case unavailable(index: UInt64, lastIndex: UInt64)
    /// An earlier write or fsync failed; the engine refuses all work until the process restarts
    /// and recovers from disk (a failed fsync is never retried, as PostgreSQL learnt).
    case failed(String)

    /// A sentence naming the file and offset where there is one.
    public var description: String {
        switch self {
        case .corrupt(let file, let offset, let reason): return "\(file) at offset \(offset): \(reason)"
        case .io(let operation, let code): return "\(operation): \(String(cString: strerror(code))) (errno \(code))"
        case .invalidRequest(let reason): return "invalid request: \(reason)"
        case .compacted(let index, let first):
            return "index \(index) is compacted (the log starts at \(first)); only the snapshot covers it"
        case .unavailable(let index, let last): return "index \(index) is past the end of the log (last index \(last))"
        case .failed(let reason): return "storage failed and must restart: \(reason)"
        }
    }

    /// An `io` error for `operation` with the current errno.
    static func system(_ operation: String) -> StorageError { .io(operation: operation, errno: errno) }
}

extension StorageError: ComponentFailure {
    /// Damage found on disk is there again at the next start: only the operator can repair it.
    public var isPermanent: Bool {
        if case .corrupt = self { return true }
        return false
    }
}

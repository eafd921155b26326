#if canImport(Glibc)
import Glibc
#endif

/// Why a segment operation failed. Each description names the segment (or the limit) and, for a
/// mismatch, the value found and the value expected.
public enum SegmentError: Error, Equatable, CustomStringConvertible {
    /// The segment name is not a valid POSIX shared-memory name.
    case invalidName(name: String, reason: String)
    /// A layout parameter is out of range, or the sizes it implies overflow.
    case invalidLayout(reason: String)
    /// A fixed-size text field was given more bytes than it holds (or a NUL byte).
    case fieldTooLong(field: String, length: Int, limit: Int)
    /// Another live `pgraftd` owns a segment of this name.
    case inUse(name: String, ownerPid: Int32)
    /// No segment of this name exists.
    case notFound(name: String)
    /// A system call failed.
    case system(operation: String, name: String, errno: Int32)
    /// The segment does not start with the pgraft magic (not a pgraft segment, or not yet initialized).
    case badMagic(name: String, found: String, expected: String)
    /// The segment was created with another layout version (a different pgraft build).
    case versionMismatch(name: String, found: UInt32, expected: UInt32)
    /// The segment's size differs from the size its header records.
    case sizeMismatch(name: String, found: Int, expected: Int)
    /// The header's layout or section table is inconsistent.
    case corrupt(name: String, reason: String)
    /// The command queue holds `capacity` commands already: the consumer (consensus) is behind or down.
    case queueFull(capacity: Int)
    /// A command payload is larger than the segment's payload capacity.
    case payloadTooLarge(size: Int, limit: Int)
    /// A cluster state lists more members than the segment has room for.
    case tooManyMembers(count: Int, limit: Int)
    /// Locking the command queue's mutex failed with this errno value.
    case lockFailed(name: String, code: Int32)
    /// Another process has held the command queue's mutex for `waitedMs` (it is probably stopped).
    case lockTimeout(name: String, holderPid: Int32, waitedMs: Int64)
    /// A reader gave up retrying because the writer kept rewriting the record it was copying.
    case readContention(name: String, section: String)
    /// A stress run (`SegmentStress`) failed its check.
    case stressCheckFailed(reason: String)

    /// A sentence for the operator.
    public var description: String {
        switch self {
        case .invalidName(let name, let reason):
            return "invalid shared-memory segment name '\(name)': \(reason)"
        case .invalidLayout(let reason):
            return "invalid shared-memory segment layout: \(reason)"
        case .fieldTooLong(let field, let length, let limit):
            return "\(field) is \(length) bytes long (or contains a NUL byte); the segment holds at most \(limit)"
        case .inUse(let name, let ownerPid):
            return "shared-memory segment \(name) belongs to a running pgraftd (pid \(ownerPid)): another "
                + "pgraftd already runs this node; stop it first, or give this node its own segment name"
        case .notFound(let name):
            return "shared-memory segment \(name) does not exist: is pgraftd running for this node?"
        case .system(let operation, let name, let code):
            return "shared-memory segment \(name): \(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .badMagic(let name, let found, let expected):
            return "shared-memory segment \(name) is not a pgraft segment (or is not initialized yet): "
                + "magic \(found), expected \(expected)"
        case .versionMismatch(let name, let found, let expected):
            return "shared-memory segment \(name) has layout version \(found), this build expects \(expected): "
                + "pgraftd and its components come from different builds"
        case .sizeMismatch(let name, let found, let expected):
            return "shared-memory segment \(name) is \(found) bytes, its header says \(expected)"
        case .corrupt(let name, let reason):
            return "shared-memory segment \(name) is corrupt: \(reason)"
        case .queueFull(let capacity):
            return "the command queue is full (\(capacity) commands waiting): consensus is not keeping up or not running"
        case .payloadTooLarge(let size, let limit):
            return "command payload is \(size) bytes; the segment's limit is \(limit) bytes"
        case .tooManyMembers(let count, let limit):
            return "cluster state lists \(count) members; the segment holds at most \(limit)"
        case .lockFailed(let name, let code):
            return "shared-memory segment \(name): locking the command queue failed: "
                + "\(String(cString: strerror(code))) (errno \(code))"
        case .lockTimeout(let name, let holderPid, let waitedMs):
            return "shared-memory segment \(name): the command queue has been locked by pid \(holderPid) for over "
                + "\(waitedMs) ms (is that process stopped?)"
        case .readContention(let name, let section):
            return "shared-memory segment \(name): no consistent copy of the \(section) after repeated retries "
                + "(its writer rewrites it continuously)"
        case .stressCheckFailed(let reason):
            return "segment stress check failed: \(reason)"
        }
    }
}

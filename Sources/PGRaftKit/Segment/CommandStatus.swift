/// Where a command is in its processing, as consensus publishes it.
public enum CommandStatus: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// Seen by consensus, not yet proposed.
    case pending = 1
    /// Proposed, waiting to commit.
    case processing = 2
    /// Committed (and applied); the result index and term are set.
    case completed = 3
    /// Failed; the error message says why.
    case failed = 4

    /// Whether the command will not change status again.
    public var isFinal: Bool { self == .completed || self == .failed }

    /// The architecture's upper-case name, e.g. "COMPLETED".
    public var description: String {
        switch self {
        case .pending: return "PENDING"
        case .processing: return "PROCESSING"
        case .completed: return "COMPLETED"
        case .failed: return "FAILED"
        }
    }
}

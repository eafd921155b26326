/// A command's status as consensus last published it.
public struct CommandStatusRecord: Sendable, Equatable {
    /// The command id.
    public var id: UInt64
    /// The status.
    public var status: CommandStatus
    /// Why the command failed; empty otherwise. At most 256 UTF-8 bytes (longer messages are truncated).
    public var errorMessage: String
    /// The log index the command committed at (or the read index), 0 until known.
    public var resultIndex: UInt64
    /// The term the command committed in, 0 until known.
    public var resultTerm: UInt64
    /// Wall-clock milliseconds since the epoch when it completed or failed; 0 while in progress.
    public var completedAtMs: UInt64

    /// A status record.
    public init(
        id: UInt64, status: CommandStatus, errorMessage: String = "", resultIndex: UInt64 = 0, resultTerm: UInt64 = 0,
        completedAtMs: UInt64 = 0
    ) {
        self.id = id
        self.status = status
        self.errorMessage = errorMessage
        self.resultIndex = resultIndex
        self.resultTerm = resultTerm
        self.completedAtMs = completedAtMs
    }
}

/// The answer to a read-index request (§6.4): once the state machine has applied `index`,
/// a read issued with `context` can be served linearizably.
public struct ReadState: Sendable, Equatable {
    /// The commit index at the time the request was confirmed by a quorum.
    public var index: UInt64
    /// The caller's context given to ``RawNode/readIndex(context:)``.
    public var context: [UInt8]

    /// Creates a read state.
    public init(index: UInt64, context: [UInt8]) {
        self.index = index
        self.context = context
    }
}

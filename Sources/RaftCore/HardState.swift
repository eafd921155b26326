/// The part of a node's state that must be durable before it acts on it.
///
/// - Important: The caller must write a changed hard state to stable storage (fsync'd,
///   atomically) before it sends any message of ``Ready/messagesAfterPersist``. A node
///   restarted from a hard state never votes twice in `term` because `vote` is restored.
public struct HardState: Sendable, Equatable {
    /// The latest term this node has seen.
    public var term: UInt64
    /// The candidate this node voted for in `term`, if any.
    public var vote: NodeID?
    /// The highest log index known to be committed.
    public var commit: UInt64

    /// Creates a hard state.
    public init(term: UInt64 = 0, vote: NodeID? = nil, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}

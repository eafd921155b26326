/// A proposal of this node waiting to be applied.
struct PendingProposal: Sendable {
    /// The request it answers.
    let request: RequestID
    /// When it times out (ms).
    let deadlineMs: Int64
}

/// What a read asks of the state machine.
enum ReadQuery: Sendable {
    /// One key.
    case get(key: String)
    /// The keys under a prefix.
    case list(prefix: String)
    /// One command-log record.
    case logGet(sequence: UInt64)
}

/// A linearizable read waiting for its read point, then for the state machine to reach it.
struct PendingRead: Sendable {
    /// The request it answers.
    let request: RequestID
    /// What it reads.
    let query: ReadQuery
    /// When it times out (ms).
    let deadlineMs: Int64
}

/// Reads waiting together for one read point.
struct ReadRound: Sendable {
    /// The reads.
    var reads: [PendingRead]
    /// When the round was asked (ms); a round unanswered for long is asked again, since its
    /// request or answer may have been dropped on the way.
    var askedMs: Int64
}

/// A request that completes when the node reaches some state.
struct Waiter: Sendable {
    /// What it waits for.
    enum Goal: Sendable {
        /// Node `id` is a member at `address`; while it is a member with no address (the entry
        /// that records it was lost with a leader change), this node, when it leads, proposes the
        /// address again at most every five ticks (`lastTryMs`).
        case added(id: UInt64, address: String, lastTryMs: Int64)
        /// Node `id` is no longer a member; `leaving` when it led as the removal was asked (then
        /// the removal waits for another leader); the removal is proposed again at most every
        /// five ticks (`lastTryMs`) until it is in the log.
        case removed(id: UInt64, leaving: Bool, lastTryMs: Int64)
        /// Node `target` leads.
        case leads(target: UInt64)
    }

    /// The request it answers.
    let request: RequestID
    /// What it waits for.
    var goal: Goal
    /// When it times out (ms).
    let deadlineMs: Int64
    /// What it waits for, for the timeout message.
    let what: String
}

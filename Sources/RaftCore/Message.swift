/// A message between two members of a group.
///
/// One flat value for every kind, as on the wire; each field documents which kinds use it.
/// Messages are idempotent to receive: duplicates, reordering and stale terms are
/// detected by the receiver.
public struct Message: Sendable, Equatable {
    /// What the message asks or answers.
    public enum Kind: UInt8, Sendable, Equatable, CaseIterable {
        /// Pre-vote request (§9.6): "would you vote for me in `term`?"; changes no state.
        case preVote = 0
        /// Answer to `preVote`; `reject` false means granted.
        case preVoteResponse = 1
        /// RequestVote (§3.4).
        case vote = 2
        /// Answer to `vote`.
        case voteResponse = 3
        /// AppendEntries (§3.5): `index`/`logTerm` locate the previous entry, `entries` follow, `commit` is the leader's.
        case append = 4
        /// Answer to `append`: `index` is the last matching index, or on `reject` the rejected index with a hint.
        case appendResponse = 5
        /// Heartbeat: `commit` is the leader's commit capped at the follower's match; `context` carries a read-index round.
        case heartbeat = 6
        /// Answer to `heartbeat`, echoing `context`.
        case heartbeatResponse = 7
        /// InstallSnapshot (§5.3): `snapshot` holds the state.
        case snapshot = 8
        /// TimeoutNow (§3.10): the receiver starts an election at once.
        case timeoutNow = 9
        /// A follower forwards a read-index request (`context`) to the leader (§6.4).
        case readIndex = 10
        /// The leader answers a forwarded read: `index` is the read index for `context`.
        case readIndexResponse = 11
        /// A follower forwards a proposal (`entries`) to the leader.
        case propose = 12
        /// A follower forwards a leadership transfer request to node `index`.
        case transferLeader = 13
    }

    /// The kind.
    public var kind: Kind
    /// Sender.
    public var from: NodeID
    /// Receiver.
    public var to: NodeID
    /// The sender's term (for `preVote`, the term it would campaign in).
    public var term: UInt64
    /// `append`: term of the entry at `index`. `vote`/`preVote`: term of the candidate's last entry.
    /// Rejected `appendResponse`: term of the follower's entry at `rejectHint`.
    public var logTerm: UInt64 = 0
    /// `append`: index preceding `entries`. `vote`/`preVote`: candidate's last index.
    /// `appendResponse`: last matching index, or the rejected index. `readIndexResponse`: the read index.
    public var index: UInt64 = 0
    /// `append`, `propose`: the entries.
    public var entries: [Entry] = []
    /// `append`, `heartbeat`: the leader's commit index.
    public var commit: UInt64 = 0
    /// Responses: whether the request was refused.
    public var reject: Bool = false
    /// Rejected `appendResponse`: the index where the follower's log may match.
    public var rejectHint: UInt64 = 0
    /// `snapshot`: the snapshot to install.
    public var snapshot: Snapshot? = nil
    /// `heartbeat`/`heartbeatResponse`/`readIndex`/`readIndexResponse`: the read request's context.
    /// `vote`: non-empty when the campaign is a leadership transfer.
    public var context: [UInt8] = []

    /// Creates a message.
    public init(kind: Kind, from: NodeID, to: NodeID, term: UInt64) {
        self.kind = kind
        self.from = from
        self.to = to
        self.term = term
    }

    /// Whether this is one of the election messages (vote or pre-vote request).
    public var isVoteRequest: Bool { kind == .vote || kind == .preVote }

    /// The context that marks a vote request as part of a leadership transfer.
    public static let transferContext: [UInt8] = [0x54]  // "T"
}

/// One member of the cluster as consensus publishes it in the cluster state.
public struct ClusterMember: Sendable, Equatable {
    /// Whether a member votes.
    public enum Kind: UInt32, Sendable {
        /// A voting member.
        case voter = 0
        /// A non-voting member (catching up before promotion).
        case learner = 1
    }

    /// The member's node id.
    public var id: UInt64
    /// The member's peer address ("host:port"); at most 64 UTF-8 bytes.
    public var address: String
    /// Voter or learner.
    public var kind: Kind
    /// Highest log index known replicated on the member (leader's view; 0 otherwise).
    public var matchIndex: UInt64
    /// Next log index to send to the member (leader's view; 0 otherwise).
    public var nextIndex: UInt64
    /// Wall-clock milliseconds since the epoch of the last message from the member (0: never).
    public var lastContactMs: UInt64

    /// A member description.
    public init(
        id: UInt64, address: String, kind: Kind = .voter, matchIndex: UInt64 = 0, nextIndex: UInt64 = 0,
        lastContactMs: UInt64 = 0
    ) {
        self.id = id
        self.address = address
        self.kind = kind
        self.matchIndex = matchIndex
        self.nextIndex = nextIndex
        self.lastContactMs = lastContactMs
    }
}

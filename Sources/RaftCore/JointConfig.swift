/// Two majority configurations that must both agree (joint consensus, §4.3).
///
/// Outside a joint configuration `outgoing` is empty, which makes this a plain majority.
public struct JointConfig: Sendable, Equatable {
    /// The new (or only) configuration.
    public let incoming: MajorityConfig
    /// The old configuration while joint; empty otherwise.
    public let outgoing: MajorityConfig

    /// Creates a joint configuration.
    public init(incoming: MajorityConfig, outgoing: MajorityConfig) {
        self.incoming = incoming
        self.outgoing = outgoing
    }

    /// The largest index committed by both halves.
    public func committedIndex(_ acked: (NodeID) -> UInt64?) -> UInt64 {
        min(incoming.committedIndex(acked), outgoing.committedIndex(acked))
    }

    /// Won only if both halves won; lost if either lost.
    public func voteResult(_ votes: (NodeID) -> Bool?) -> VoteResult {
        let a = incoming.voteResult(votes)
        let b = outgoing.voteResult(votes)
        if a == b { return a }
        if a == .lost || b == .lost { return .lost }
        return .pending
    }

    /// Every voter of either half, sorted.
    public var voterIDs: [NodeID] { ConfState.normalized(incoming.voters + outgoing.voters) }
}

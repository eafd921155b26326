/// A set of voters decided by simple majority. Pure arithmetic: no Raft types.
///
/// Invariants: `voters` is sorted and duplicate-free. An empty configuration commits
/// everything (`UInt64.max`) and wins every vote, so it is neutral inside a ``JointConfig``.
public struct MajorityConfig: Sendable, Equatable {
    /// The voters, sorted.
    public let voters: [NodeID]

    /// Creates a configuration from any list of voters.
    public init(_ voters: [NodeID]) { self.voters = ConfState.normalized(voters) }

    /// The number of acknowledgements that make a quorum.
    public var quorum: Int { voters.count / 2 + 1 }

    /// The largest index acknowledged by a quorum, given each voter's acknowledged index
    /// (`nil` counts as 0).
    public func committedIndex(_ acked: (NodeID) -> UInt64?) -> UInt64 {
        let n = voters.count
        if n == 0 { return UInt64.max }
        // Small groups: sort a stack-sized array of indexes descending; the quorum-th one is committed.
        var idx = [UInt64](repeating: 0, count: n)
        for (i, id) in voters.enumerated() { idx[i] = acked(id) ?? 0 }
        idx.sort(by: >)
        return idx[quorum - 1]
    }

    /// The result of an election given each voter's answer (`nil`: no answer yet).
    public func voteResult(_ votes: (NodeID) -> Bool?) -> VoteResult {
        if voters.isEmpty { return .won }
        var granted = 0
        var missing = 0
        for id in voters {
            switch votes(id) {
            case .some(true): granted += 1
            case .some(false): break
            case .none: missing += 1
            }
        }
        if granted >= quorum { return .won }
        if granted + missing >= quorum { return .pending }
        return .lost
    }
}

/// This node's Raft role, as consensus publishes it in the cluster state.
public enum NodeRole: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// Follows a leader (or waits for one).
    case follower = 0
    /// Campaigning for leadership.
    case candidate = 1
    /// The leader.
    case leader = 2
    /// A non-voting member catching up.
    case learner = 3
    /// Probing whether an election could succeed (pre-vote).
    case preCandidate = 4
    /// Not in the membership: it applied its own removal, or most other members refuse it as a
    /// non-member (it was removed, or its addition has not reached them yet).
    case nonMember = 5

    /// The role's name, e.g. "leader".
    public var description: String {
        switch self {
        case .follower: return "follower"
        case .candidate: return "candidate"
        case .leader: return "leader"
        case .learner: return "learner"
        case .preCandidate: return "pre-candidate"
        case .nonMember: return "non-member"
        }
    }
}

/// A node's role, with the state only that role has.
///
/// Legal transitions: follower → pre-candidate → candidate → leader; any role → follower
/// (a higher term, a lost election, a leader that lost its quorum or was removed);
/// follower → candidate (no pre-vote, or a leadership transfer). Others are programming errors.
public enum Role: Sendable {
    /// Following a leader (or waiting for one).
    case follower(FollowerState)
    /// Polling for support without raising the term (§9.6).
    case preCandidate(CandidateState)
    /// Campaigning in a new term (§3.4).
    case candidate(CandidateState)
    /// Leading the current term.
    case leader(LeaderState)

    /// The role without its state.
    public var kind: Kind {
        switch self {
        case .follower: return .follower
        case .preCandidate: return .preCandidate
        case .candidate: return .candidate
        case .leader: return .leader
        }
    }

    /// The four roles, for status reports.
    public enum Kind: String, Sendable, Equatable {
        /// See ``Role/follower(_:)``.
        case follower
        /// See ``Role/preCandidate(_:)``.
        case preCandidate
        /// See ``Role/candidate(_:)``.
        case candidate
        /// See ``Role/leader(_:)``.
        case leader
    }
}

/// Why a membership change cannot be applied. The membership is left unchanged.
public enum ConfChangeError: Error, Sendable, Equatable {
    /// A joint change was requested while already joint.
    case alreadyJoint
    /// Leaving a joint configuration was requested while not joint.
    case notJoint
    /// A simple change would alter more than one voter; use a joint change.
    case moreThanOneVoterChanged
    /// The change would leave no voter.
    case removesAllVoters
    /// The resulting membership breaks an invariant of ``ConfState`` (named here).
    case invariantViolated(String)
}

/// Why a proposal, read or membership change was refused. Nothing was appended.
public enum ProposalError: Error, Sendable, Equatable {
    /// This node is not the leader; `leader` is the current leader if known.
    case notLeader(leader: NodeID?)
    /// A leadership transfer is under way; retry after it.
    case transferInProgress
    /// A membership change is still unapplied; one at a time.
    case confChangePending
    /// The membership change is invalid against the current membership.
    case confChangeRejected(ConfChangeError)
}

/// What became of an accepted proposal.
public enum ProposalOutcome: Sendable, Equatable {
    /// Appended to the leader's log at `index` in `term`; committed once it appears in
    /// ``Ready/committedEntries`` with that term.
    case appended(index: UInt64, term: UInt64)
    /// Forwarded to the leader `to`; the caller learns its fate only by watching applied entries.
    case forwarded(to: NodeID)
}

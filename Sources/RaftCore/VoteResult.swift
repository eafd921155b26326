/// The outcome of counting votes against a configuration.
public enum VoteResult: Sendable, Equatable {
    /// Not decided yet: some voters have not answered.
    case pending
    /// A quorum refused; the election is lost.
    case lost
    /// A quorum granted; the election is won.
    case won
}

/// The votes a (pre-)candidate has collected in the current election.
public struct CandidateState: Sendable, Equatable {
    /// Answers received so far: true granted, false refused.
    public var votes: [NodeID: Bool] = [:]

    /// Creates an empty tally.
    public init() {}
}

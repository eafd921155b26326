/// The outcome of one simulation run.
public struct SimResult: Sendable, Equatable {
    /// The seed.
    public var seed: UInt64
    /// The first safety violation, if any (with the step it was detected at).
    public var violation: String?
    /// The liveness failure after healing, if any.
    public var livenessFailure: String?
    /// A digest of every event, equal for two runs of the same options.
    public var digest: UInt64
    /// The trace, if requested.
    public var trace: [String]
    /// Statistics: client operations completed, leader elections, max commit index.
    public var completedOps: Int
    /// Leaders elected (distinct terms with a leader).
    public var elections: Int
    /// The highest commit index reached.
    public var commitIndex: UInt64

    /// Whether the run found nothing wrong.
    public var passed: Bool { violation == nil && livenessFailure == nil }
}

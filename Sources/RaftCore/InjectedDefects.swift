/// Deliberate protocol defects the simulator injects to prove its checkers can fail.
///
/// - Important: Never set in production; every defect breaks Raft's safety.
public struct InjectedDefects: OptionSet, Sendable, Hashable {
    /// The bits.
    public let rawValue: UInt32
    /// Creates a set from its raw bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Grant a vote even after voting for another candidate in the same term.
    public static let voteTwice = InjectedDefects(rawValue: 1 << 0)
    /// Commit entries of earlier terms by counting replicas (the Figure 3.7 mistake). Like the
    /// leader of that figure, a new leader then starts its term without a no-op entry, which
    /// otherwise hides the mistake in all but very narrow windows.
    public static let commitPreviousTerm = InjectedDefects(rawValue: 1 << 1)
    /// Grant votes without checking that the candidate's log is up to date.
    public static let skipLogUpToDateCheck = InjectedDefects(rawValue: 1 << 2)
    /// Hand out entries to apply that are not yet committed.
    public static let applyBeforeCommit = InjectedDefects(rawValue: 1 << 3)
    /// Send append and vote acknowledgements before the entries and vote are durable.
    public static let ackBeforePersist = InjectedDefects(rawValue: 1 << 4)
    /// Become leader as soon as the peers' votes make a majority, before the candidate's own term
    /// and vote are durable. A crash then can bring it back in the previous term, free to lead the
    /// same term again with other entries at the same indexes.
    public static let leadBeforeDurableTerm = InjectedDefects(rawValue: 1 << 5)

    /// Every defect with its command-line name.
    public static let named: [(name: String, defect: InjectedDefects)] = [
        ("vote-twice", .voteTwice),
        ("commit-previous-term", .commitPreviousTerm),
        ("skip-log-up-to-date-check", .skipLogUpToDateCheck),
        ("apply-before-commit", .applyBeforeCommit),
        ("ack-before-persist", .ackBeforePersist),
        ("lead-before-durable-term", .leadBeforeDurableTerm),
    ]
}

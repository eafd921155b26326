/// Every id the writer saw acknowledged over all rounds, checked at the end of each round against
/// the ids the primary holds; a lost commit is reported once, in the round that first finds it
/// missing (a later failover can lose a commit acknowledged in an earlier round).
public struct LossLedger: Sendable, Equatable {
    /// Every acknowledged id so far.
    public private(set) var acknowledged = IDRanges()
    /// The acknowledged ids found missing so far.
    public private(set) var lost = IDRanges()

    /// An empty ledger.
    public init() {}

    /// Adds the ids acknowledged in a round.
    public mutating func record(acknowledged ids: IDRanges) {
        acknowledged = acknowledged.union(ids)
    }

    /// Checks every acknowledged id against `present` (the ids the primary holds) and returns the
    /// ones newly found missing.
    public mutating func check(present: IDRanges) -> IDRanges {
        let missing = acknowledged.subtracting(present)
        let new = missing.subtracting(lost)
        lost = lost.union(new)
        return new
    }
}

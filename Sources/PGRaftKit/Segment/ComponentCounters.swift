import CShims

/// One component slot's counters: `CounterKind.capacity` 64-bit words, each incremented atomically.
///
/// Writer: the component of that slot (any of its threads). Readers: anyone (the api's `/metrics`,
/// `pgraftctl`). The view keeps its segment alive.
public struct ComponentCounters: @unchecked Sendable {
    /// The segment these counters belong to.
    public let segment: SharedSegment
    /// The component slot index.
    public let index: Int
    private let base: UnsafeMutableRawPointer

    init(segment: SharedSegment, index: Int, base: UnsafeMutableRawPointer) {
        self.segment = segment
        self.index = index
        self.base = base
    }

    /// Adds `amount` to counter `kind` (wrapping at 2^64). Writer: this slot's component.
    public func increment(_ kind: CounterKind, by amount: UInt64 = 1) {
        _ = pgr_atomic_add_u64(SegmentMemory.u64(base, kind.rawValue * 8), amount)
    }

    /// The current value of counter `kind`.
    public subscript(_ kind: CounterKind) -> UInt64 {
        pgr_atomic_load_u64(SegmentMemory.u64(base, kind.rawValue * 8))
    }

    /// Every known counter with its value, in `CounterKind` order.
    public var values: [(kind: CounterKind, value: UInt64)] {
        CounterKind.allCases.map { ($0, self[$0]) }
    }
}

/// The value at percentile `p` (0…100) of `sorted` (ascending), by nearest rank: the smallest value
/// with at least `p` percent of the values at or below it. 0 for no values.
///
/// Nearest rank never interpolates, so every figure a benchmark reports was measured: the p50 of
/// two rounds is the lower one, of three the middle one.
public func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// The p50 and the maximum of a set of measurements: what the benchmarks' summary tables print.
public struct Spread: Sendable, Equatable, Codable {
    /// How many measurements.
    public var count: Int
    /// The median by nearest rank (see ``percentile(_:_:)``).
    public var p50: Double
    /// The largest.
    public var max: Double

    /// The spread of `values` (in any order); nil for none.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        count = sorted.count
        p50 = percentile(sorted, 50)
        max = sorted[sorted.count - 1]
    }
}

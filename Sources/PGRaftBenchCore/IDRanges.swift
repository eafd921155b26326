/// A set of row ids kept as sorted runs: the ids a writer had acknowledged, or the ids a server
/// holds (read with one gaps-and-islands query rather than row by row).
///
/// A single writer numbers its rows 1, 2, 3, … and leaves a gap only where a statement failed, so
/// hundreds of thousands of ids make a handful of runs.
///
/// Invariant: `ranges` is sorted, and no two runs overlap or touch (a run ending at `n` is never
/// followed by one starting at `n + 1`).
public struct IDRanges: Sendable, Equatable, CustomStringConvertible {
    /// The runs, ascending, neither overlapping nor adjacent.
    public private(set) var ranges: [ClosedRange<Int64>] = []

    /// The empty set.
    public init() {}

    /// The union of `ranges`, given in any order, overlapping or not.
    public init(_ ranges: [ClosedRange<Int64>]) {
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) { appendSorted(range) }
    }

    /// Adds `id`: in constant time when it is above every id held (a writer's next id), otherwise
    /// by rebuilding the runs.
    public mutating func insert(_ id: Int64) {
        if let last = ranges.last, id <= last.upperBound {
            guard !contains(id) else { return }
            self = IDRanges(ranges + [id...id])
        } else {
            appendSorted(id...id)
        }
    }

    /// How many ids.
    public var count: Int64 { ranges.reduce(0) { $0 + ($1.upperBound - $1.lowerBound + 1) } }

    /// Whether there is no id.
    public var isEmpty: Bool { ranges.isEmpty }

    /// Whether `id` is in the set (binary search over the runs).
    public func contains(_ id: Int64) -> Bool {
        var low = 0
        var high = ranges.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if id < ranges[middle].lowerBound {
                high = middle - 1
            } else if id > ranges[middle].upperBound {
                low = middle + 1
            } else {
                return true
            }
        }
        return false
    }

    /// The ids of this set that are not in `other`: acknowledged minus present is what was lost.
    public func subtracting(_ other: IDRanges) -> IDRanges {
        var result = IDRanges()
        var j = 0
        for range in ranges {
            var next = range.lowerBound
            // Skip the runs of `other` that end before this one starts.
            while j < other.ranges.count && other.ranges[j].upperBound < next { j += 1 }
            var k = j
            while next <= range.upperBound {
                guard k < other.ranges.count, other.ranges[k].lowerBound <= range.upperBound else {
                    result.appendSorted(next...range.upperBound)
                    break
                }
                let cut = other.ranges[k]
                if cut.lowerBound > next { result.appendSorted(next...(cut.lowerBound - 1)) }
                guard cut.upperBound < range.upperBound else { break }
                next = max(next, cut.upperBound + 1)
                k += 1
            }
        }
        return result
    }

    /// The ids in this set or in `other`.
    public func union(_ other: IDRanges) -> IDRanges {
        IDRanges(ranges + other.ranges)
    }

    /// The first `limit` ids in ascending order: the sample a report quotes.
    public func first(_ limit: Int) -> [Int64] {
        var ids: [Int64] = []
        for range in ranges {
            var id = range.lowerBound
            while id <= range.upperBound && ids.count < limit {
                ids.append(id)
                id += 1
            }
            if ids.count >= limit { break }
        }
        return ids
    }

    /// The runs as `1…5, 9, 12…13`.
    public var description: String {
        ranges.isEmpty
            ? "none"
            : ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)…\($0.upperBound)" }
                .joined(separator: ", ")
    }

    /// Appends `range`, which starts at or above every run's start, merging it with the last run
    /// when they overlap or touch.
    private mutating func appendSorted(_ range: ClosedRange<Int64>) {
        if let last = ranges.last, range.lowerBound <= last.upperBound + 1 {
            ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
        } else {
            ranges.append(range)
        }
    }
}

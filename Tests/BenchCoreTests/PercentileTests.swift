import PGRaftBenchCore
import Testing

@Suite("percentiles and spreads")
struct PercentileTests {
    @Test("nearest rank: the p50 of three values is the middle one, of two the lower, of one itself")
    func nearestRank() {
        #expect(percentile([1, 2, 3], 50) == 2)
        #expect(percentile([1, 2], 50) == 1)
        #expect(percentile([7], 50) == 7)
        #expect(percentile([7], 99) == 7)
        #expect(percentile([], 50) == 0)
    }

    @Test("p99 of a hundred values is the 99th, p100 the largest, p0 the smallest")
    func highPercentiles() {
        let values = (1...100).map(Double.init)
        #expect(percentile(values, 99) == 99)
        #expect(percentile(values, 100) == 100)
        #expect(percentile(values, 0) == 1)
    }

    @Test("a spread sorts its values itself and is nil for none")
    func spread() throws {
        let spread = try #require(Spread([30_000, 25_000, 27_000, 26_000]))
        #expect(spread == Spread([25_000, 26_000, 27_000, 30_000]))
        #expect(spread.count == 4)
        #expect(spread.p50 == 26_000)
        #expect(spread.max == 30_000)
        #expect(Spread([]) == nil)
    }
}

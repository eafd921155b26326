import PGRaftKit
import Testing

@Suite struct RepeatFilterTests {
    @Test func theFirstEventPassesRepeatsAreHeldBackAndCountedUntilTheQuietPeriodEnds() {
        let filter = RepeatFilter(quietMs: 1000)
        #expect(filter.pass("node 3 refused", nowMs: 0) == 0)
        #expect(filter.pass("node 3 refused", nowMs: 400) == nil)
        #expect(filter.pass("node 3 refused", nowMs: 999) == nil)
        #expect(filter.pass("node 4 refused", nowMs: 999) == 0)
        #expect(filter.pass("node 3 refused", nowMs: 1000) == 2)
        #expect(filter.pass("node 3 refused", nowMs: 1500) == nil)
        #expect(filter.pass("node 3 refused", nowMs: 2000) == 1)
    }
}

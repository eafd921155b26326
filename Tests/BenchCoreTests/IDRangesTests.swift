import PGRaftBenchCore
import Testing

@Suite("id runs and the loss ledger")
struct IDRangesTests {
    @Test("a writer's increasing ids make one run per gap")
    func appendingMakesRuns() {
        var ids = IDRanges()
        for id: Int64 in [1, 2, 3, 5, 6, 9] { ids.insert(id) }
        #expect(ids.ranges == [1...3, 5...6, 9...9])
        #expect(ids.count == 6)
        #expect(ids.description == "1…3, 5…6, 9")
        #expect(IDRanges().description == "none")
    }

    @Test("ids inserted out of order or twice, and runs given overlapping, are merged")
    func normalises() {
        var ids = IDRanges()
        for id: Int64 in [5, 1, 3, 2, 5, 4] { ids.insert(id) }
        #expect(ids.ranges == [1...5])
        #expect(IDRanges([8...9, 1...3, 2...4, 5...5]).ranges == [1...5, 8...9])
    }

    @Test("contains finds ids inside runs and not in gaps")
    func contains() {
        let ids = IDRanges([1...3, 10...20, 30...30])
        for id: Int64 in [1, 3, 10, 15, 20, 30] { #expect(ids.contains(id)) }
        for id: Int64 in [0, 4, 9, 21, 29, 31] { #expect(!ids.contains(id)) }
        #expect(!IDRanges().contains(1))
    }

    @Test("acknowledged minus present is exactly the missing ids, wherever the runs start and end")
    func subtracting() {
        let acknowledged = IDRanges([1...100])
        #expect(acknowledged.subtracting(IDRanges([1...100])).isEmpty)
        #expect(acknowledged.subtracting(IDRanges([0...200])).isEmpty)
        #expect(acknowledged.subtracting(IDRanges()).ranges == [1...100])
        #expect(acknowledged.subtracting(IDRanges([1...97])).ranges == [98...100])
        #expect(acknowledged.subtracting(IDRanges([4...100])).ranges == [1...3])
        #expect(acknowledged.subtracting(IDRanges([1...10, 12...50, 60...100])).ranges == [11...11, 51...59])
        #expect(IDRanges([1...5, 10...15, 20...25]).subtracting(IDRanges([3...12, 22...30])).ranges == [1...2, 13...15, 20...21])
    }

    @Test("subtracting agrees with a naive set difference on every small case")
    func subtractingMatchesSets() {
        // Every pair of subsets of 0..<8, each as its runs.
        func runs(_ mask: Int) -> IDRanges {
            var ids = IDRanges()
            for bit in 0..<8 where mask & (1 << bit) != 0 { ids.insert(Int64(bit)) }
            return ids
        }
        for a in 0..<256 {
            for b in 0..<256 {
                let expected = (0..<8).filter { a & (1 << $0) != 0 && b & (1 << $0) == 0 }.map(Int64.init)
                #expect(runs(a).subtracting(runs(b)).first(8) == expected)
            }
        }
    }

    @Test("the sample of lost ids is the first ones, in order")
    func sample() {
        #expect(IDRanges([3...4, 10...100]).first(5) == [3, 4, 10, 11, 12])
        #expect(IDRanges([3...4]).first(10) == [3, 4])
    }

    @Test("the ledger reports a lost commit once, in the round that first finds it missing, even one of an earlier round")
    func ledger() {
        var ledger = LossLedger()
        ledger.record(acknowledged: IDRanges([1...100]))
        #expect(ledger.check(present: IDRanges([1...100])).isEmpty)
        ledger.record(acknowledged: IDRanges([101...200]))
        // Round 2's failover lost the tail of round 1 and two of its own.
        #expect(ledger.check(present: IDRanges([1...98, 101...150, 153...200])).ranges == [99...100, 151...152])
        ledger.record(acknowledged: IDRanges([201...300]))
        // Round 3 finds the same gaps: nothing new.
        #expect(ledger.check(present: IDRanges([1...98, 101...150, 153...300])).isEmpty)
        #expect(ledger.lost.count == 4)
        #expect(ledger.acknowledged.ranges == [1...300])
    }
}

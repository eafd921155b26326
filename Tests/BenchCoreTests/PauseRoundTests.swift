import PGRaftBenchCore
import Testing

@Suite("the pause trial's round bookkeeping")
struct PauseRoundTests {
    func ack(_ id: Int64, _ node: String, _ at: Double) -> Acknowledgement {
        Acknowledgement(id: id, node: node, atMs: at, synchronousStandbys: 1)
    }

    /// A round with a fault on node 1 at 1,000 ms; commits every 10 ms before it (the last at 990 ms), then `after`.
    func round(after: [Acknowledgement]) -> PauseRound {
        var round = PauseRound(number: 2, faultedNode: "1", faultAtMs: 1_000)
        round.acknowledgements = (1...5).map { ack(Int64($0), "1", Double(940 + 10 * $0)) } + after
        round.endedAtMs = (after.last?.atMs ?? 1_000) + 5
        round.primaryAfter = after.last?.node ?? "1"
        return round
    }

    @Test("the pause is the longest span after the fault without a commit, the first one counted from the fault")
    func longestPause() {
        // Commits go on for a while after the fault, then stop for 1,400 ms, then go on.
        let r = round(after: [ack(6, "1", 1_005), ack(7, "1", 1_015), ack(8, "1", 2_415), ack(9, "1", 2_425)])
        #expect(r.longestPauseMs == 1_400)
        #expect(round(after: [ack(6, "1", 1_900), ack(7, "1", 1_910)]).longestPauseMs == 900, "from the fault to the first commit")
        var never = round(after: [])
        never.endedAtMs = 11_000
        #expect(never.longestPauseMs == 10_000 && never.neverResumed, "writes that never resume count for the whole round")
        var stalled = round(after: [ack(6, "1", 1_010)])
        stalled.endedAtMs = 4_010
        #expect(stalled.longestPauseMs == 3_000, "a pause still under way at the end counts")
        let figures = r.figures(lost: IDRanges())
        #expect(figures.otherPrimaries.isEmpty && figures.acknowledged == 9 && figures.lost == 0)
        #expect(figures.line == "round 2: fault on node 1; writes paused at most 1,400 ms; same primary; 0 of 9 acknowledged commits lost")
        var late = round(after: [ack(6, "1", 1_100)])
        late.primaryAfter = "3"
        #expect(late.otherPrimaries == ["3"], "a failover under way at the end is seen in the primary after the round")
    }

    @Test("a commit on another node after the fault is a failover, and the report counts it")
    func failoverIsCounted() {
        let moved = round(after: [ack(6, "2", 2_300), ack(7, "3", 2_400), ack(8, "2", 2_500)]).figures(lost: IDRanges([7...7]))
        #expect(moved.otherPrimaries == ["2", "3"])
        let same = round(after: [ack(6, "1", 1_700)]).figures(lost: IDRanges())
        let report = PauseReport(rounds: [moved, same])
        #expect(report.failovers == 1 && report.lostTotal == 1)
        #expect(report.pauseMs?.p50 == 700 && report.pauseMs?.max == 1_300)
        #expect(report.table.contains("| rounds with a failover | 1 of 2 | |"))
    }
}

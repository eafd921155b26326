import PGRaftBenchCore
import Testing

@Suite("the failover trial's round bookkeeping")
struct FailoverRoundTests {
    /// A round in which node 1, primary with one synchronous standby, is killed at 1,000 ms (the kill
    /// command ran from 990 ms); `after` are the acknowledgements after the kill.
    func round(after: [Acknowledgement], end: Double = 60_000) -> FailoverRound {
        var round = FailoverRound(number: 1, killedNode: "1", killIssuedAtMs: 990, killedAtMs: 1_000)
        round.acknowledgements = (1...5).map { Acknowledgement(id: Int64($0), node: "1", atMs: Double(900 + $0), synchronousStandbys: 1) } + after
        round.restartIssuedAtMs = 30_000
        round.streamingAtMs = 36_500
        round.endedAtMs = end
        return round
    }

    func ack(_ id: Int64, _ node: String, _ at: Double, sync: Int) -> Acknowledgement {
        Acknowledgement(id: id, node: node, atMs: at, synchronousStandbys: sync)
    }

    @Test("failover runs from the kill command's return to the first commit another node acknowledged")
    func failoverTime() {
        let figures = round(after: [ack(8, "2", 28_000, sync: 0), ack(9, "2", 28_010, sync: 0)]).figures(lost: IDRanges())
        #expect(figures.newPrimary == "2")
        #expect(figures.failoverMs == 27_000)
        #expect(figures.killCommandMs == 10)
        #expect(figures.rejoinMs == 6_500)
        #expect(figures.acknowledged == 7)
        #expect(figures.roundMs == 59_010)
    }

    @Test("an acknowledgement of the killed node stamped after the kill is not the new primary's")
    func lateAcknowledgementOfTheOldPrimary() {
        let r = round(after: [ack(6, "1", 1_002, sync: 1), ack(8, "3", 2_500, sync: 1)])
        #expect(r.firstOnNewPrimary == ack(8, "3", 2_500, sync: 1))
        #expect(r.figures(lost: IDRanges()).failoverMs == 1_500)
    }

    @Test("no commit on another node: no failover time, no new primary, no synchronous gap")
    func noFailover() {
        var r = round(after: [])
        r.streamingAtMs = nil
        let figures = r.figures(lost: IDRanges())
        #expect(figures.failoverMs == nil && figures.newPrimary == nil && figures.withoutSynchronousStandby == nil)
        #expect(figures.rejoinMs == nil)
        #expect(figures.line.contains("no commit on another node"))
        #expect(figures.line.contains("node 1 not streaming"))
    }

    @Test("a new primary whose first commit already had a synchronous standby has no gap")
    func synchronousFromTheStart() {
        let gap = round(after: [ack(8, "2", 1_800, sync: 1), ack(9, "2", 1_810, sync: 0), ack(10, "2", 1_820, sync: 1)]).withoutSynchronousStandby
        #expect(gap == SynchronousGap(milliseconds: 0, commits: 0, asynchronous: false))
        #expect(gap?.text == "0 ms")
    }

    @Test("commits acknowledged before the first synchronous standby make the gap, up to the first commit that had one")
    func gapUntilAStandby() {
        let gap = round(after: [ack(8, "2", 28_000, sync: 0), ack(9, "2", 28_400, sync: 0), ack(10, "2", 29_200, sync: 1)])
            .withoutSynchronousStandby
        #expect(gap == SynchronousGap(milliseconds: 1_200, commits: 2, asynchronous: false))
        #expect(gap?.text == "1,200 ms (2 commits)")
    }

    @Test("asynchronous replication: no commit on the new primary ever had a synchronous standby, so the gap is the rest of the round")
    func asynchronous() {
        let gap = round(after: [ack(8, "2", 28_000, sync: 0), ack(9, "2", 28_400, sync: 0)], end: 61_000).withoutSynchronousStandby
        #expect(gap == SynchronousGap(milliseconds: 33_000, commits: 2, asynchronous: true))
        #expect(gap?.text == "async: the whole round, 33,000 ms (2 commits)")
    }

    @Test("the round's acknowledged ids skip the attempts that failed")
    func acknowledgedIDs() {
        #expect(round(after: [ack(8, "2", 28_000, sync: 0), ack(9, "2", 28_001, sync: 0)]).acknowledgedIDs.ranges == [1...5, 8...9])
    }

    @Test("lost commits are counted and sampled in the figures and the line")
    func lostInTheLine() {
        let figures = round(after: [ack(8, "2", 28_000, sync: 0)]).figures(lost: IDRanges([4...5]))
        #expect(figures.lost == 2 && figures.lostSample == [4, 5])
        let many = round(after: [ack(8, "2", 28_000, sync: 0)]).figures(lost: IDRanges([1...5, 8...8, 100...10_099]))
        #expect(many.lost == 10_006 && many.lostSample == [1, 2, 3, 4, 5, 8, 100, 101, 102, 103])
        #expect(many.line.contains("10,006 of 6 acknowledged commits lost (ids 1, 2, 3, 4, 5, 8, 100, 101, 102, 103, …)"))
        #expect(
            figures.line
                == "round 1: node 1 killed; node 2 committed 27,000 ms later; 2 of 6 acknowledged commits lost (ids 4, 5); "
                + "without a synchronous standby async: the whole round, 32,000 ms (1 commit); node 1 streaming 6,500 ms after its start")
    }

    @Test("the report's table gives the p50 and max of each figure and says when replication was asynchronous")
    func reportTable() {
        let rounds = [
            round(after: [ack(8, "2", 28_000, sync: 0)]).figures(lost: IDRanges()),
            round(after: [ack(8, "2", 31_000, sync: 0)]).figures(lost: IDRanges([1...3])),
            round(after: [ack(8, "2", 26_000, sync: 0)]).figures(lost: IDRanges()),
        ]
        let report = FailoverReport(nodes: [], rounds: rounds)
        #expect(report.summary.failoverMs == Spread([27_000, 30_000, 25_000]))
        #expect(report.summary.lostTotal == 3)
        #expect(report.summary.asynchronousRounds == 3)
        #expect(
            report.table == """
                | figure, 3 rounds | p50 | max |
                | --- | --- | --- |
                | failover: kill → first commit on the new primary | 27,000 ms | 30,000 ms |
                | acknowledged commits lost (3 in all) | 0 | 3 |
                | time without a synchronous standby after the promotion (async in 3 of 3 rounds: the whole round) | 32,000 ms | 34,000 ms |
                | rejoin: start of the old primary → streaming | 6,500 ms | 6,500 ms |
                """)
    }

    @Test("thousands are grouped and milliseconds rounded")
    func formatting() {
        #expect(Milliseconds.text(27_345.4) == "27,345 ms")
        #expect(Milliseconds.text(999.5) == "1,000 ms")
        #expect(Milliseconds.grouped(1_234_567) == "1,234,567")
        #expect(Milliseconds.grouped(-1_000) == "-1,000")
        #expect(Milliseconds.grouped(0) == "0")
    }
}

import Testing

@testable import RaftCore

@Suite("§3.5 Progress states (probe, replicate, snapshot)")
struct ProgressTests {
    func fresh() -> Progress { Progress(id: 2, next: 11, inflightCapacity: 2, inflightBytes: 0) }

    @Test("probe: one append at a time, paused until an answer; an acknowledgement moves to replicate")
    func probe() {
        var p = fresh()
        #expect(!p.isPaused)
        p.sentEntries(last: 11, bytes: 10)
        #expect(p.isPaused && p.next == 11)
        let r1 = p.maybeUpdate(11)
        #expect(r1)
        p.becomeReplicate()
        #expect(p.state == .replicate && p.next == 12 && !p.isPaused)
    }

    @Test("probe: a rejection backs next off to the hint, never below match + 1; stale rejections are ignored")
    func probeRejection() {
        var p = fresh()
        p.match = 3
        let r2 = p.maybeDecrTo(rejected: 7, matchHint: 1)
        #expect(!r2)  // Not the last probe (next - 1 = 10).
        let r3 = p.maybeDecrTo(rejected: 10, matchHint: 5)
        #expect(r3)
        #expect(p.next == 6)
        let r4 = p.maybeDecrTo(rejected: 5, matchHint: 0)
        #expect(r4)
        #expect(p.next == 4)  // match + 1
    }

    @Test("replicate: optimistic next, bounded window, a rejection falls back to match + 1")
    func replicate() {
        var p = fresh()
        p.match = 10
        p.becomeReplicate()
        p.sentEntries(last: 15, bytes: 1)
        p.sentEntries(last: 20, bytes: 1)
        #expect(p.next == 21 && p.isPaused)
        _ = p.maybeUpdate(15)
        p.inflights.freeLE(15)
        #expect(!p.isPaused)
        let r5 = p.maybeDecrTo(rejected: 12, matchHint: 0)
        #expect(!r5)  // Already matched: stale.
        let r6 = p.maybeDecrTo(rejected: 20, matchHint: 0)
        #expect(r6)
        #expect(p.next == 16)
    }

    @Test("snapshot: appends pause; probing resumes after the snapshot's index")
    func snapshot() {
        var p = fresh()
        p.becomeSnapshot(50)
        #expect(p.isPaused)
        p.becomeProbe()
        #expect(p.state == .probe && p.next == 51)
        let r7 = p.maybeUpdate(0)
        #expect(!r7)
    }

    @Test("progress tracker: reconfiguration keeps existing progress and adds new members in id order")
    func tracker() {
        var t = ProgressTracker(conf: ConfState(voters: [3, 1]), next: 5, inflightCapacity: 4, inflightBytes: 0)
        t.update(1) { $0.match = 4 }
        t.reconfigure(ConfState(voters: [1, 2], learners: [9]), next: 7)
        #expect(t.members.map(\.id) == [1, 2, 9])
        #expect(t[1]?.match == 4 && t[2]?.next == 7 && t[3] == nil)
        #expect(t.committedIndex(ConfState(voters: [1, 2])) == 0)
        t.update(2) { $0.match = 4 }
        #expect(t.committedIndex(ConfState(voters: [1, 2])) == 4)
    }
}

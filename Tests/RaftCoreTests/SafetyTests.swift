import Testing

@testable import RaftCore

@Suite("§3.6 Safety")
struct SafetyTests {
    /// Figure 3.7 at the moment of (c): S1 leads again in term 4 after S5 led term 3.
    static func figure37() -> TestCluster {
        var c = TestCluster(voters: [1, 2, 3, 4, 5]) {
            $0.preVote = false
            $0.checkQuorum = false
            $0.maxEntriesPerMessage = 1
        }
        let base = PersistentState.bootstrap(voters: [1, 2, 3, 4, 5])
        func state(term: UInt64, _ entries: [Entry]) -> PersistentState {
            var s = base
            s.hardState.term = term
            s.entries = entries
            return s
        }
        c.start(1, state: state(term: 3, [Entry(term: 2, index: 2, data: Array("a".utf8))]))
        c.start(2, state: state(term: 2, [Entry(term: 2, index: 2, data: Array("a".utf8))]))
        c.start(3, state: state(term: 3, []))
        c.start(4, state: state(term: 3, []))
        c.start(5, state: state(term: 3, [Entry(term: 3, index: 2, data: Array("b".utf8))]))
        c.down = [4, 5]
        // S3 receives index 2 but nothing of term 4 (except the first append, which it rejects).
        let seen = Box(0)
        c.filter = { m in
            guard m.kind == .append && m.to == 3 && m.entries.contains(where: { $0.term == 4 }) else { return true }
            seen.value += 1
            return seen.value == 1
        }
        c.elect(1)
        return c
    }

    @Test("§3.6.2 Figure 3.7: an entry of an earlier term stored on a majority is not committed by counting replicas")
    func figure37NotCommitted() {
        var c = Self.figure37()
        #expect(c[1].isLeader && c[1].term == 4)
        let stored = [NodeID(1), 2, 3].filter { c[$0].log.entry(2)?.term == 2 }
        #expect(stored.count == 3)  // A majority of five.
        #expect(c[1].log.committed == 1)
        #expect(c.appliedData(1).isEmpty)
        // (d): S1 crashes; S5 can win with S3 and S4 and overwrite index 2, which is why it was not committed.
        c.down = [1]
        c.restart(4)
        c.restart(5)
        c.filter = { _ in true }
        c.elect(5)  // Term 4: S2 and S3 already voted for S1.
        c.elect(5)  // Term 5: S3 and S4 vote for S5, whose last term (3) beats S3's (2).
        #expect(c[5].isLeader && c[5].term == 5)
        c.stabilize()
        #expect(c[3].log.entry(2)?.term == 3)
        #expect(c.appliedData(3) == ["b"])
    }

    @Test("§3.6.2 Figure 3.7 (e): once an entry of the current term is on a majority, earlier entries commit with it")
    func figure37CommitsIndirectly() {
        var c = Self.figure37()
        c.filter = { _ in true }
        c.tick(1)
        c.stabilize()
        #expect(c[1].log.committed == 3)
        #expect(c.appliedData(1) == ["a"])
        #expect(c.appliedData(3) == ["a"])
    }

    @Test("§3.6.3 leader completeness: a new leader holds every committed entry")
    func leaderCompleteness() {
        var c = TestCluster(voters: [1, 2, 3, 4, 5]) {
            $0.preVote = false
            $0.checkQuorum = false
        }
        c.elect(1)
        c.down = [4, 5]
        for i in 0..<3 { c.propose(1, "c\(i)") }
        c.stabilize()
        let committed = c[1].log.committed
        c.down = [1]
        c.restart(4)
        c.restart(5)
        // Whoever wins must hold the committed entries: 4 and 5 cannot win alone.
        c[4].campaign()
        c.stabilize()
        if c[4].isLeader { #expect(c[4].log.lastIndex >= committed) }
        c[2].campaign()
        c.stabilize()
        let leaders = c.leaders()
        #expect(leaders.count == 1)
        for l in leaders { #expect(c[l].log.lastIndex >= committed && c[l].log.term(committed) == c[2].log.term(committed)) }
    }

    @Test("§3.6 state machine safety: all members apply the same entries across leader changes")
    func stateMachineSafetyAcrossLeaderChanges() {
        var c = TestCluster(voters: [1, 2, 3]) {
            $0.preVote = false
            $0.checkQuorum = false
        }
        for round in 0..<6 {
            let l = NodeID(round % 3 + 1)
            c.elect(l)
            c.propose(l, "r\(round)")
            c.stabilize()
        }
        c.tick(NodeID(5 % 3 + 1))
        c.stabilize()
        #expect(c.appliedData(1) == (0..<6).map { "r\($0)" })
        #expect(c.appliedData(2) == c.appliedData(1))
        #expect(c.appliedData(3) == c.appliedData(1))
    }
}

/// A mutable cell captured by message filters.
final class Box<T> {
    var value: T
    init(_ value: T) { self.value = value }
}

import Testing

@testable import RaftCore

@Suite("§3.5 Log replication")
struct ReplicationTests {
    @Test("§3.5 the leader replicates entries and every member applies them in order once committed")
    func replicateAndApply() {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        for i in 0..<10 { c.propose(1, "v\(i)") }
        c.stabilize()
        for id: NodeID in 1...3 {
            #expect(c.appliedData(id) == (0..<10).map { "v\($0)" })
            #expect(c[id].log.committed == c[1].log.lastIndex)
        }
    }

    @Test("§3.5 a follower refuses a proposal with the leader's id, or forwards it")
    func followerProposals() {
        var c = TestCluster(voters: [1, 2, 3]) { $0.forwardProposals = $0.id != 3 }
        c.elect(1)
        #expect(throws: ProposalError.notLeader(leader: 1)) { try c[3].propose([1]) }
        let outcome = try? c[2].propose(Array("fwd".utf8))
        #expect(outcome == .forwarded(to: 1))
        c.stabilize()
        #expect(c.appliedData(3) == ["fwd"])
        var lone = TestCluster(voters: [1, 2, 3])
        #expect(throws: ProposalError.notLeader(leader: nil)) { try lone[2].propose([1]) }
    }

    @Test("§3.5 conflicting follower entries are overwritten by the leader's")
    func conflictsOverwritten() {
        var c = TestCluster(voters: [1, 2, 3]) {
            $0.preVote = false
            $0.checkQuorum = false
        }
        c.elect(1)
        // Node 1 appends entries only it sees, then loses leadership.
        c.down = [2, 3]
        for i in 0..<5 { c.propose(1, "lost\(i)") }
        c.processReady(1)
        c.queue = []
        c.down = [1]
        c.elect(2)
        c.propose(2, "kept")
        c.stabilize()
        c.down = []
        c.tick(2)
        c.stabilize()
        #expect(c[1].role.kind == .follower)
        #expect(c.appliedData(1) == ["kept"])
        #expect(c[1].log.lastIndex == c[2].log.lastIndex)
        #expect(!c[1].log.entries.contains { String(decoding: $0.data, as: UTF8.self).hasPrefix("lost") })
    }

    @Test("§3.5 fast backtracking skips a whole conflicting term per round trip")
    func fastBacktracking() {
        var c = TestCluster(voters: [1, 2, 3]) {
            $0.preVote = false
            $0.checkQuorum = false
        }
        c.elect(1)
        c.down = [2, 3]
        for i in 0..<50 { c.propose(1, "stale\(i)") }
        c.processReady(1)
        c.queue = []
        c.down = [1]
        c.elect(2)
        for i in 0..<50 { c.propose(2, "new\(i)") }
        c.stabilize()
        c.down = []
        var rejections = 0
        c.filter = { m in
            if m.kind == .appendResponse && m.reject { rejections += 0 }
            return true
        }
        c.tick(2)
        var rounds = 0
        while !c.queue.isEmpty || c.nodes.values.contains(where: \.hasReady) {
            c.processAllReady()
            rejections += c.queue.filter { $0.kind == .appendResponse && $0.reject && $0.from == 1 }.count
            c.deliverOnce()
            rounds += 1
        }
        #expect(c.appliedData(1).count == 50)
        // Without hints node 1 would reject once per stale entry (50).
        #expect(rejections <= 2)
    }

    @Test("§3.5 batching: appends carry at most max_log_entries entries and about max bytes")
    func batchingLimits() {
        var c = TestCluster(voters: [1, 2]) {
            $0.maxEntriesPerMessage = 4
            $0.maxBytesPerMessage = 3 * (100 + 24)
        }
        c.elect(1)
        for _ in 0..<20 { _ = try? c[1].propose([UInt8](repeating: 7, count: 100)) }
        var largest = 0
        c.filter = { m in
            if m.kind == .append { largest = max(largest, m.entries.count) }
            return true
        }
        c.stabilize()
        #expect(largest == 3)
        #expect(c.applied[2]!.filter { $0.data.count == 100 }.count == 20)
    }

    @Test("§3.5 the in-flight window bounds unacknowledged appends to a follower")
    func inflightWindow() {
        var c = TestCluster(voters: [1, 2]) {
            $0.maxEntriesPerMessage = 1
            $0.maxInflightMessages = 3
        }
        c.elect(1)
        for i in 0..<10 { c.propose(1, "e\(i)") }
        c.processReady(1)
        let appends = c.queue.filter { $0.kind == .append && $0.to == 2 && !$0.entries.isEmpty }
        #expect(appends.count == 3)
        #expect(c[1].progress?[2]?.inflights.isFull == true)
        c.stabilize()
        #expect(c.appliedData(2).count == 10)
    }

    @Test("§3.5 duplicate, reordered and stale messages change nothing")
    func duplicatesAndReordering() {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        var history: [Message] = []
        c.filter = { m in
            history.append(m)
            return true
        }
        for i in 0..<5 { c.propose(1, "d\(i)") }
        c.stabilize()
        let before = (c[2].log.lastIndex, c[2].log.committed, c.appliedData(2))
        // Replay every message again, newest first.
        c.filter = { _ in true }
        c.queue = history.reversed()
        c.stabilize()
        #expect(c[2].log.lastIndex == before.0 && c[2].log.committed == before.1)
        #expect(c.appliedData(2) == before.2)
        #expect(c.leaders() == [1])
        // A message from an old term is ignored (or answered with the newer term).
        var old = Message(kind: .append, from: 3, to: 2, term: 1)
        old.index = 1
        old.logTerm = 1
        old.entries = [Entry(term: 1, index: 2, data: [9])]
        c[2].step(old)
        #expect(c[2].log.entry(2)?.data != [9])
        #expect(c.leaders() == [1])
    }

    @Test("§3.5 an append acknowledgement leaves only after the entries are durable")
    func appendAckAfterPersist() {
        var c = TestCluster(voters: [1, 2])
        c.elect(1)
        c.propose(1, "p")
        c.processReady(1)
        c.deliverOnce()
        let rd = c[2].ready()
        #expect(!rd.entries.isEmpty)
        #expect(rd.messages.allSatisfy { $0.kind != .appendResponse })
        #expect(rd.messagesAfterPersist.contains { $0.kind == .appendResponse })
        c[2].advance(rd)
    }

    @Test("§3.5 the leader counts its own entries only once they are durable")
    func leaderSelfAckAfterPersist() {
        var c = TestCluster(voters: [1])
        c.elect(1)
        c.propose(1, "solo")
        #expect(c[1].log.committed < c[1].log.lastIndex)
        c.processReady(1)  // persists
        c.processReady(1)  // applies
        #expect(c.appliedData(1) == ["solo"])
    }
}

import Testing

@testable import RaftCore

@Suite("§6 Client interaction and §3.10 leadership transfer")
struct ClientTests {
    @Test("§6.4 a sole voter restarted with a stale commit index answers a read only after its term commits")
    func soleVoterReadAfterRestartWaitsForItsTerm() {
        // Entries 2...10 are durable, but the saved commit index is only 1 (it is not saved with every batch).
        let entries = (2...10).map { Entry(term: 1, index: UInt64($0), data: [UInt8($0)]) }
        var state = PersistentState.bootstrap(voters: [1])
        state.hardState = HardState(term: 1, vote: 1, commit: 1)
        state.entries = entries
        var node = RawNode(config: RaftConfig(id: 1), state: state)
        node.campaign()
        var answered: [ReadState] = []
        var asked = false
        for _ in 0..<10 {
            if node.isLeader && !asked {
                try? node.readIndex(context: [7])
                asked = true
            }
            guard node.hasReady else { continue }
            let rd = node.ready()
            answered += rd.readStates
            node.advance(rd)
        }
        #expect(asked && node.isLeader)
        #expect(answered.count == 1)
        #expect((answered.first?.index ?? 0) >= 11, "a read point below the restarted leader's own entry misses entries 2...10")
    }

    @Test("§6.4 ReadIndex on the leader is answered after a quorum heartbeat round, at the commit index")
    func readIndexLeader() throws {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.propose(1, "w")
        c.stabilize()
        try c[1].readIndex(context: [1])
        c.processReady(1)
        #expect(c.readStates[1, default: []].isEmpty)
        c.stabilize()
        #expect(c.readStates[1] == [ReadState(index: c[1].log.committed, context: [1])])
    }

    @Test("§6.4 ReadIndex is not confirmed without a quorum")
    func readIndexNeedsQuorum() throws {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.down = [2, 3]
        try c[1].readIndex(context: [7])
        c.stabilize()
        #expect(c.readStates[1, default: []].isEmpty)
    }

    @Test("§6.4 ReadIndex on a follower is forwarded to the leader")
    func readIndexFollower() throws {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.propose(1, "w")
        c.stabilize()
        try c[3].readIndex(context: [3, 3])
        c.stabilize()
        #expect(c.readStates[3] == [ReadState(index: c[1].log.committed, context: [3, 3])])
    }

    @Test("§6.4 a new leader answers reads only after committing an entry of its term")
    func readIndexWaitsForTermCommit() throws {
        var c = TestCluster(voters: [1, 2, 3]) { $0.preVote = false }
        c[1].campaign()
        c.processAllReady()
        c.deliverOnce()
        c.processAllReady()
        c.deliverOnce()  // Votes arrive: leader, no-op not yet committed.
        #expect(c[1].isLeader)
        #expect(c[1].log.term(c[1].log.committed) != c[1].term)
        try c[1].readIndex(context: [5])
        c.stabilize()
        let rs = c.readStates[1, default: []]
        #expect(rs.count == 1 && rs[0].index >= c[1].log.lastIndex)
    }

    @Test("§3.10 leadership transfer: TimeoutNow makes an up-to-date target win at once")
    func transferLeadership() {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.down = [3]
        c.propose(1, "x")
        c.stabilize()
        c.down = []
        c[1].transferLeadership(to: 3)  // 3 is behind: the leader catches it up first.
        #expect(throws: ProposalError.transferInProgress) { try c[1].propose([1]) }
        c.stabilize()
        #expect(c.leaders() == [3])
        #expect(c[1].leaderID == 3)
        c.propose(3, "y")
        c.stabilize()
        #expect(c.appliedData(1) == ["x", "y"])
    }

    @Test("§3.10 a follower forwards a transfer request; a transfer to a non-voter is ignored")
    func transferForwarded() {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c[2].transferLeadership(to: 2)
        c.stabilize()
        #expect(c.leaders() == [2])
        c[2].transferLeadership(to: 9)
        c.stabilize()
        #expect(c.leaders() == [2])
    }

    @Test("§3.10 a transfer that cannot finish within an election timeout is abandoned")
    func transferTimesOut() {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.down = [3]
        c[1].transferLeadership(to: 3)
        for _ in 0..<(c[1].config.electionTick + 1) {
            c.tick(1)
            c.stabilize()
        }
        #expect(c[1].isLeader)
        #expect((try? c[1].propose([1])) != nil)
    }
}

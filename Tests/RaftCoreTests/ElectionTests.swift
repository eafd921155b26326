import Testing

@testable import RaftCore

@Suite("§3.4 Leader election, §9.6 pre-vote and check-quorum")
struct ElectionTests {
    @Test("§3.4 a follower that hears nothing campaigns within [T, 2T) ticks and wins a majority")
    func followerTimesOutAndWins() {
        var c = TestCluster(voters: [1, 2, 3]) { $0.preVote = false }
        let timeout = c[1].randomizedElectionTimeout
        #expect(timeout >= 10 && timeout < 20)
        for _ in 0..<(timeout - 1) { c.tick(1) }
        #expect(c[1].role.kind == .follower)
        c.tick(1)
        #expect(c[1].role.kind == .candidate)
        #expect(c[1].term == 2 && c[1].vote == 1)
        c.stabilize()
        #expect(c.leaders() == [1])
        #expect(c[2].leaderID == 1 && c[3].leaderID == 1)
    }

    @Test("§3.4 randomized timeouts differ between nodes and between elections")
    func randomizedTimeouts() {
        var seen: Set<Int> = []
        var c = TestCluster(voters: [1, 2, 3, 4, 5])
        for id: NodeID in 1...5 { seen.insert(c[id].randomizedElectionTimeout) }
        for _ in 0..<20 {
            c[1].becomeFollower(term: c[1].term, leader: nil)
            seen.insert(c[1].randomizedElectionTimeout)
        }
        #expect(seen.count > 3)
        #expect(seen.allSatisfy { $0 >= 10 && $0 < 20 })
    }

    @Test("§3.4 each server votes for at most one candidate per term, first come first served")
    func oneVotePerTerm() {
        var c = TestCluster(voters: [1, 2, 3]) { $0.preVote = false }
        c[1].campaign()
        c[2].campaign()
        c.processAllReady()
        // Node 3 receives node 1's request first.
        c.queue.sort { a, _ in a.from == 1 }
        c.deliverOnce()
        c.processAllReady()
        let grants = c.queue.filter { $0.kind == .voteResponse && $0.from == 3 && !$0.reject }
        #expect(grants.map(\.to) == [1])
        c.stabilize()
        #expect(c.leaders() == [1])
        #expect(c[3].vote == 1)
    }

    @Test("§3.4 a candidate that hears from a leader of its term steps down")
    func candidateStepsDownForLeader() {
        var c = TestCluster(voters: [1, 2, 3]) { $0.preVote = false }
        c.elect(1)
        var m = Message(kind: .append, from: 1, to: 3, term: c[1].term)
        m.index = c[1].log.lastIndex
        m.logTerm = c[1].log.lastTerm
        c[3].becomeCandidate()  // term + 1: now newer than the leader's
        #expect(c[3].term == c[1].term + 1)
        m.term = c[3].term
        c[3].step(m)
        #expect(c[3].role.kind == .follower && c[3].leaderID == 1)
    }

    @Test("§3.4 a split vote ends in a later term with one leader")
    func splitVoteResolves() {
        var c = TestCluster(voters: [1, 2, 3, 4]) { $0.preVote = false }
        c.filter = { !($0.kind == .voteResponse && $0.term == 2) }  // Term 2 is lost by everyone.
        c[1].campaign()
        c[2].campaign()
        c.stabilize()
        #expect(c.leaders().isEmpty)
        c.filter = { _ in true }
        for _ in 0..<60 {
            for id: NodeID in 1...4 { c.tick(id) }
            c.stabilize()
            if !c.leaders().isEmpty { break }
        }
        #expect(c.leaders().count == 1)
        #expect(c[c.leaders()[0]].term > 2)
    }

    @Test("a campaign that does not conclude is retried after campaignRetryTick, a follower still waits a whole timeout")
    func campaignRetryIsShortAndFollowersKeepTheirTimeout() {
        var c = TestCluster(voters: [1, 2, 3]) {
            $0.electionTick = 100
            $0.campaignRetryTick = 25
        }
        // Nobody answers node 1: its pre-vote cannot conclude.
        c.down = [2, 3]
        var ticks = 0
        while c[1].role.kind == .follower && ticks < 300 {
            c.tick(1)
            ticks += 1
        }
        #expect(ticks >= 100 && ticks < 200, "a follower campaigns after a whole election timeout, not \(ticks) ticks")
        #expect(c[1].role.kind == .preCandidate)
        #expect(c[1].randomizedElectionTimeout >= 25 && c[1].randomizedElectionTimeout < 50)
        // Pre-vote answers arrive and say no (a leader is alive elsewhere): back to follower, whose
        // next timeout is a whole election timeout again.
        c[1].becomeFollower(term: c[1].term, leader: nil)
        #expect(c[1].randomizedElectionTimeout >= 100 && c[1].randomizedElectionTimeout < 200)
    }

    @Test("§3.4 two followers that tie retry soon and one wins within two election timeouts")
    func tiedFollowersResolveWithinTwoTimeouts() {
        var c = TestCluster(voters: [1, 2, 3]) {
            $0.electionTick = 100
            $0.campaignRetryTick = 25
            $0.preVote = false
        }
        // Node 3 (the leader) is gone; 1 and 2 campaign in the same instant and split the vote.
        c.down = [3]
        c[1].campaign()
        c[2].campaign()
        c.stabilize()
        #expect(c.leaders().isEmpty)
        var ticks = 0
        while c.leaders().isEmpty && ticks < 200 {
            c.tick(1)
            c.tick(2)
            c.stabilize()
            ticks += 1
        }
        #expect(c.leaders().count == 1 && ticks < 100, "a leader after \(ticks) ticks of retry")
    }

    @Test("§3.6.1 a voter refuses a candidate whose log is less up to date")
    func voteRefusedToStaleLog() {
        var c = TestCluster(voters: [1, 2, 3]) {
            $0.preVote = false
            $0.checkQuorum = false  // Otherwise the voters ignore the request while in the leader's lease.
        }
        c.elect(1)
        c.down = [3]
        c.propose(1, "x")
        c.stabilize()
        c.down = []
        c[3].campaign()  // Node 3 lacks "x".
        c.processAllReady()
        c.deliverOnce()
        c.processAllReady()
        let answers = c.queue.filter { $0.kind == .voteResponse && $0.to == 3 }
        #expect(answers.count == 2 && answers.allSatisfy(\.reject))
    }

    @Test("§9.6 pre-vote: a partitioned node does not raise its term, and rejoining does not disrupt the leader")
    func preVoteKeepsTerm() {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        let term = c[1].term
        c.down = [1, 2]  // Node 3 alone.
        for _ in 0..<100 {
            c.tick(3)
            c.stabilize()
        }
        #expect(c[3].term == term)
        #expect(c[3].role.kind == .preCandidate || c[3].role.kind == .follower)
        c.down = []
        c.tick(1)
        c.stabilize()
        #expect(c[1].isLeader && c[1].term == term)
    }

    @Test("§9.6 pre-vote wins then a real election follows in term + 1")
    func preVoteThenVote() {
        var c = TestCluster(voters: [1, 2, 3])
        c[1].campaign()
        #expect(c[1].role.kind == .preCandidate && c[1].term == 1)
        c.stabilize()
        #expect(c[1].isLeader && c[1].term == 2)
    }

    @Test("§9.6 check-quorum: a leader that hears no quorum for an election timeout steps down")
    func checkQuorumStepDown() {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.down = [2, 3]
        for _ in 0..<(2 * c[1].config.electionTick) { c.tick(1) }
        #expect(c[1].role.kind == .follower)
        #expect(c[1].leaderID == nil)
    }

    @Test("§9.6 check-quorum: a leader that hears its quorum stays")
    func checkQuorumStays() {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.down = [3]
        for _ in 0..<50 {
            c.tick(1)
            c.stabilize()
        }
        #expect(c[1].isLeader)
    }

    @Test("§4.2.3 a follower that hears from its leader ignores vote requests (leader lease)")
    func leaseIgnoresDisruptiveCandidate() {
        var c = TestCluster(voters: [1, 2, 3]) { $0.preVote = false }
        c.elect(1)
        let term = c[1].term
        var m = Message(kind: .vote, from: 3, to: 2, term: term + 5)
        m.index = 100
        m.logTerm = 100
        c[2].step(m)
        #expect(c[2].term == term)
        #expect(c[2].leaderID == 1)
    }

    @Test("§3.8 a restarted node never votes twice in a term")
    func restartNeverVotesTwice() {
        var c = TestCluster(voters: [1, 2, 3]) { $0.preVote = false }
        c[1].campaign()
        c.processAllReady()
        c.down = [3]
        c.deliverOnce()  // Node 2 votes for 1.
        c.processReady(2)
        #expect(c[2].vote == 1)
        c.queue = []
        c.restart(2)
        #expect(c[2].vote == 1 && c[2].term == 2)
        var req = Message(kind: .vote, from: 3, to: 2, term: 2)
        req.index = 10
        req.logTerm = 10
        c[2].step(req)
        let rd = c[2].ready()
        let answers = (rd.messages + rd.messagesAfterPersist).filter { $0.kind == .voteResponse }
        #expect(answers.count == 1 && answers[0].reject)
    }

    @Test("§3.8 a vote leaves only after it is durable; the candidate counts itself only once durable")
    func voteAfterPersist() {
        var c = TestCluster(voters: [1, 2, 3]) { $0.preVote = false }
        c[1].campaign()
        c.processReady(1)
        c.deliverOnce()
        let rd = c[2].ready()
        #expect(rd.hardState?.vote == 1)
        #expect(rd.messages.allSatisfy { $0.kind != .voteResponse })
        #expect(rd.messagesAfterPersist.contains { $0.kind == .voteResponse && !$0.reject })
        #expect(rd.mustSync)
        c[2].advance(rd)
        // A single-node group becomes leader only after acknowledging its own vote.
        var solo = TestCluster(voters: [7]) { $0.preVote = false }
        solo[7].campaign()
        #expect(solo[7].role.kind == .candidate)
        solo.processReady(7)
        #expect(solo[7].isLeader)
    }
}

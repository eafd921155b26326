import Testing

@testable import RaftCore

@Suite("§4 Cluster membership changes")
struct MembershipTests {
    @Test("§4.1 one server at a time: a new voter joins through the leader's snapshot and votes")
    func addVoterSimple() throws {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.propose(1, "before")
        c.stabilize()
        c.start(4, state: .joining)
        try c[1].proposeConfChange(ConfChange([.init(.addVoter, 4)]))
        c.stabilize()
        c.tick(1)
        c.stabilize()
        for id: NodeID in 1...4 { #expect(c[id].confState.voters == [1, 2, 3, 4]) }
        c.propose(1, "after")
        c.stabilize()
        #expect(c.appliedData(4).last == "after")
        // Quorum is now 3 of 4.
        c.down = [3, 4]
        c.propose(1, "stuck")
        c.stabilize()
        #expect(c.appliedData(1).last == "after")
    }

    @Test("§4.2.1 learners receive the log but do not vote or count for commitment; promotion makes them voters")
    func learners() throws {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.start(4, state: .joining)
        try c[1].proposeConfChange(ConfChange([.init(.addLearner, 4)]))
        c.stabilize()
        c.tick(1)
        c.stabilize()
        #expect(c[1].confState.learners == [4])
        c.propose(1, "l")
        c.stabilize()
        #expect(c.appliedData(4).last == "l")
        // The learner never campaigns.
        for _ in 0..<100 { c.tick(4) }
        #expect(c[4].role.kind == .follower)
        // A learner does not count toward commitment.
        c.down = [2, 3]
        c.propose(1, "needs a voter")
        c.stabilize()
        #expect(c.appliedData(1).last == "l")
        c.down = []
        c.tick(1)
        c.stabilize()
        try c[1].proposeConfChange(ConfChange([.init(.addVoter, 4)]))
        c.stabilize()
        #expect(c[1].confState.voters == [1, 2, 3, 4] && c[1].confState.learners.isEmpty)
    }

    @Test("§4.3 joint consensus: entering and automatically leaving a joint configuration")
    func jointConsensusAuto() throws {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.start(4, state: .joining)
        c.start(5, state: .joining)
        try c[1].proposeConfChange(
            ConfChange([.init(.addVoter, 4), .init(.addVoter, 5), .init(.removeNode, 2)]))
        for _ in 0..<5 {
            c.tick(1)
            c.stabilize()
        }
        #expect(c[1].confState == ConfState(voters: [1, 3, 4, 5]))
        #expect(c[5].confState == ConfState(voters: [1, 3, 4, 5]))
        c.propose(1, "joint done")
        c.stabilize()
        #expect(c.appliedData(5).last == "joint done")
    }

    @Test("§4.3 joint consensus: an explicit joint configuration needs both majorities until left")
    func jointConsensusExplicit() throws {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.start(4, state: .joining)
        c.start(5, state: .joining)
        c.start(6, state: .joining)
        try c[1].proposeConfChange(
            ConfChange([.init(.addVoter, 4), .init(.addVoter, 5), .init(.addVoter, 6), .init(.removeNode, 2), .init(.removeNode, 3)], transition: .explicit))
        for _ in 0..<5 {
            c.tick(1)
            c.stabilize()
        }
        #expect(c[1].confState.isJoint && !c[1].confState.autoLeave)
        #expect(throws: ProposalError.confChangeRejected(.alreadyJoint)) {
            try c[1].proposeConfChange(ConfChange([.init(.addVoter, 7)]))
        }
        // Only the new majority: not enough while joint.
        c.down = [2, 3]
        c.propose(1, "x")
        c.stabilize()
        #expect(c.appliedData(1).last != "x")
        c.down = []
        c.tick(1)
        c.stabilize()
        try c[1].proposeConfChange(.leaveJoint)
        c.stabilize()
        #expect(c[1].confState == ConfState(voters: [1, 4, 5, 6]))
    }

    @Test("§4.2.2 removing the leader: it steps down once the change is applied and the rest elect a new one")
    func removeLeader() throws {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        try c[1].proposeConfChange(ConfChange([.init(.removeNode, 1)]))
        c.stabilize()
        #expect(!c[1].isLeader)
        #expect(c[2].confState.voters == [2, 3])
        for _ in 0..<40 {
            for id: NodeID in 1...3 { c.tick(id) }
            c.stabilize()
        }
        let leaders = c.leaders()
        #expect(leaders.count == 1 && leaders[0] != 1)
    }

    @Test("§4.1 only one membership change may be pending at a time")
    func oneChangeAtATime() throws {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        try c[1].proposeConfChange(ConfChange([.init(.addLearner, 4)]))
        #expect(throws: ProposalError.confChangePending) {
            try c[1].proposeConfChange(ConfChange([.init(.addLearner, 5)]))
        }
        c.stabilize()
        try c[1].proposeConfChange(ConfChange([.init(.addLearner, 5)]))
    }
}

import Testing

@testable import RaftCore

@Suite("Quorum arithmetic")
struct QuorumTests {
    /// The obvious definition: the largest index that at least a quorum has acknowledged.
    func naiveCommitted(_ voters: [NodeID], _ acked: [NodeID: UInt64]) -> UInt64 {
        if voters.isEmpty { return UInt64.max }
        let candidates = Set(voters.map { acked[$0] ?? 0 })
        var best: UInt64 = 0
        for c in candidates {
            let n = voters.filter { (acked[$0] ?? 0) >= c }.count
            if n >= voters.count / 2 + 1 { best = max(best, c) }
        }
        return best
    }

    @Test("committed index matches a naive quorum definition (property)")
    func committedIndexProperty() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let n = Int.random(in: 0...7, using: &rng)
            let voters = (1...8).shuffled(using: &rng).prefix(n).map { NodeID($0) }
            var acked: [NodeID: UInt64] = [:]
            for v in voters where Bool.random(using: &rng) { acked[v] = UInt64.random(in: 0...10, using: &rng) }
            let fast = MajorityConfig(voters).committedIndex { acked[$0] }
            #expect(fast == naiveCommitted(voters, acked))
            // Joint: the minimum of both halves.
            let other = (1...8).shuffled(using: &rng).prefix(Int.random(in: 0...5, using: &rng)).map { NodeID($0) }
            let joint = JointConfig(incoming: MajorityConfig(voters), outgoing: MajorityConfig(other))
            #expect(joint.committedIndex { acked[$0] } == min(naiveCommitted(voters, acked), naiveCommitted(other, acked)))
        }
    }

    @Test("vote results: won, lost, pending, and joint needs both halves")
    func voteResults() {
        let m = MajorityConfig([1, 2, 3])
        #expect(m.voteResult { [1: true, 2: true][$0] } == .won)
        #expect(m.voteResult { [1: true][$0] } == .pending)
        #expect(m.voteResult { [1: true, 2: false, 3: false][$0] } == .lost)
        let j = JointConfig(incoming: MajorityConfig([1, 2, 3]), outgoing: MajorityConfig([3, 4, 5]))
        #expect(j.voteResult { [1: true, 2: true][$0] } == .pending)
        #expect(j.voteResult { [1: true, 2: true, 3: true, 4: true][$0] } == .won)
        #expect(j.voteResult { [1: true, 2: true, 4: false, 5: false][$0] } == .lost)
        #expect(MajorityConfig([]).voteResult { _ in nil } == .won)
    }

    @Test("inflights: bounded by count and bytes, freed in order")
    func inflights() {
        var w = Inflights(capacity: 3, maxBytes: 100)
        w.add(index: 1, bytes: 10)
        w.add(index: 2, bytes: 10)
        #expect(!w.isFull)
        w.add(index: 5, bytes: 10)
        #expect(w.isFull)
        w.freeLE(2)
        #expect(w.count == 1 && w.bytes == 10 && !w.isFull)
        w.add(index: 6, bytes: 95)
        #expect(w.isFull)
        w.freeFirstOne()
        #expect(w.count == 1)
        w.freeLE(100)
        #expect(w.count == 0 && w.bytes == 0)
    }

    @Test("§4.3 conf changes: simple, joint enter/leave, invariants")
    func confChanges() throws {
        let c = ConfState(voters: [1, 2, 3])
        let added = try ConfChanger.apply(ConfChange([.init(.addVoter, 4)]), to: c)
        #expect(added.voters == [1, 2, 3, 4])
        let joint = try ConfChanger.apply(ConfChange([.init(.addVoter, 4), .init(.addLearner, 1)]), to: c)
        #expect(joint.isJoint && joint.autoLeave)
        #expect(joint.voters == [2, 3, 4] && joint.votersOutgoing == [1, 2, 3] && joint.learnersNext == [1])
        #expect(throws: ConfChangeError.alreadyJoint) { try ConfChanger.apply(ConfChange([.init(.addVoter, 5)]), to: joint) }
        let left = try ConfChanger.apply(.leaveJoint, to: joint)
        #expect(left == ConfState(voters: [2, 3, 4], learners: [1]))
        #expect(throws: ConfChangeError.notJoint) { try ConfChanger.apply(.leaveJoint, to: left) }
        #expect(throws: ConfChangeError.removesAllVoters) {
            try ConfChanger.apply(ConfChange([.init(.removeNode, 1)]), to: ConfState(voters: [1]))
        }
        let explicit = ConfChange([.init(.addLearner, 9)], transition: .explicit)
        #expect(ConfChange.decode(explicit.encode()) == explicit)
        #expect(ConfChange.decode([1, 2]) == nil)
    }
}

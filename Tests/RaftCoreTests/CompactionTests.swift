import Testing

@testable import RaftCore

@Suite("§5 Log compaction and InstallSnapshot")
struct CompactionTests {
    @Test("§5.1 compaction replaces the applied prefix by a snapshot; only applied and durable entries")
    func compaction() throws {
        var c = TestCluster(voters: [1])
        c.elect(1)
        for i in 0..<10 { c.propose(1, "k\(i)") }
        c.stabilize()
        let applied = c[1].log.applied
        #expect(throws: CompactionError.notApplied) {
            try c[1].compact(upTo: applied + 1, confState: c[1].confState, data: [])
        }
        try c[1].compact(upTo: applied - 2, confState: c[1].confState, data: [42])
        #expect(c[1].log.firstIndex == applied - 1)
        #expect(c[1].log.snapshot.data == [42])
        #expect(throws: CompactionError.alreadyCompacted) {
            try c[1].compact(upTo: applied - 3, confState: c[1].confState, data: [])
        }
    }

    @Test("§5.3 InstallSnapshot: a follower behind the compacted log receives the snapshot, then entries")
    func installSnapshot() throws {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.down = [3]
        for i in 0..<10 { c.propose(1, "s\(i)") }
        c.stabilize()
        let applied = c[1].log.applied
        try c[1].compact(upTo: applied, confState: c[1].confState, data: Array("image".utf8))
        c.propose(1, "tail")
        c.stabilize()
        c.restart(3)
        let snapshots = Box(0)
        c.filter = { m in
            if m.kind == .snapshot { snapshots.value += 1 }
            return true
        }
        for _ in 0..<3 {
            c.tick(1)
            c.stabilize()
        }
        #expect(snapshots.value == 1)
        #expect(c.disks[3]!.snapshot.data == Array("image".utf8))
        #expect(c.appliedData(3) == ["tail"])
        #expect(c[3].log.committed == c[1].log.committed)
    }

    @Test("§5.3 a snapshot restored between ready() and advance() keeps its membership")
    func snapshotBetweenReadyAndAdvance() {
        // A follower of {1, 2, 3} learns that "add learner 4" (index 2) is committed.
        var node = RawNode(config: RaftConfig(id: 2), state: .bootstrap(voters: [1, 2, 3]))
        var append = Message(kind: .append, from: 1, to: 2, term: 2)
        append.index = 1
        append.logTerm = 1
        append.commit = 2
        append.entries = [Entry(term: 2, index: 2, kind: .confChange, data: ConfChange([.init(.addLearner, 4)]).encode())]
        node.step(append)
        let rd = node.ready()
        #expect(rd.committedEntries.map(\.index) == [2])
        // While that batch is being persisted, the leader's snapshot arrives: by index 9, node 4 is a voter.
        var snapshot = Message(kind: .snapshot, from: 1, to: 2, term: 2)
        snapshot.snapshot = Snapshot(metadata: .init(index: 9, term: 2, confState: ConfState(voters: [1, 2, 3, 4])), data: [])
        node.step(snapshot)
        node.advance(rd)
        // The old "add learner 4" must not be applied on top of the newer membership.
        #expect(node.confState == ConfState(voters: [1, 2, 3, 4]))
    }

    @Test("§5.3 a lost snapshot is retried")
    func lostSnapshotRetried() throws {
        var c = TestCluster(voters: [1, 2, 3])
        c.elect(1)
        c.down = [3]
        for i in 0..<5 { c.propose(1, "s\(i)") }
        c.stabilize()
        try c[1].compact(upTo: c[1].log.applied, confState: c[1].confState, data: [1])
        c.down = []
        let lost = Box(true)
        c.filter = { m in
            if m.kind == .snapshot && lost.value {
                lost.value = false
                return false
            }
            return true
        }
        for _ in 0..<40 {
            c.tick(1)
            c.stabilize()
        }
        #expect(!lost.value)
        #expect(c[3].log.committed == c[1].log.committed)
    }

    @Test("§5.3 a stale snapshot (at or below the follower's commit) changes nothing")
    func staleSnapshot() {
        var c = TestCluster(voters: [1, 2])
        c.elect(1)
        c.propose(1, "a")
        c.stabilize()
        let before = c[2].log.lastIndex
        var m = Message(kind: .snapshot, from: 1, to: 2, term: c[1].term)
        m.snapshot = Snapshot(metadata: .init(index: 1, term: 1, confState: ConfState(voters: [1, 2])), data: [])
        c[2].step(m)
        #expect(c[2].log.lastIndex == before && !c[2].log.snapshotPending)
    }
}

@Suite("§5.3 InstallSnapshot races")
struct SnapshotRaceTests {
    @Test("§5.3 a newer snapshot arriving before the previous one is acknowledged stays pending")
    func newerSnapshotStaysPending() {
        let conf = ConfState(voters: [1, 2])
        var n = RawNode(config: RaftConfig(id: 2), state: .bootstrap(voters: [1, 2]))
        func snap(_ index: UInt64) -> Message {
            var m = Message(kind: .snapshot, from: 1, to: 2, term: 2)
            m.snapshot = Snapshot(metadata: .init(index: index, term: 2, confState: conf), data: [UInt8(index)])
            return m
        }
        n.step(snap(10))
        let first = n.ready()
        #expect(first.snapshot?.metadata.index == 10)
        n.step(snap(20))  // Arrives while the first is still being written.
        n.advance(first)
        #expect(n.log.snapshotPending)
        #expect(n.log.applied == 10)
        let second = n.ready()
        #expect(second.snapshot?.metadata.index == 20)
        #expect(second.committedEntries.isEmpty)
        n.advance(second)
        #expect(!n.log.snapshotPending && n.log.applied == 20)
    }
}

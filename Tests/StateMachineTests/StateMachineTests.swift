import Testing

import RaftCore
@testable import PGRaftStateMachine

@Suite("Replicated state machine")
struct StateMachineTests {
    func entry(_ i: UInt64, _ c: Command) -> Entry { Entry(term: 1, index: i, data: c.encode()) }

    @Test("KV: put, get, delete and revisions")
    func kvRevisions() {
        var sm = ReplicatedStateMachine()
        #expect(sm.apply(entry(2, .put(key: "a", value: [1]))) == .put(revision: 1))
        #expect(sm.apply(entry(3, .put(key: "a", value: [2]))) == .put(revision: 2))
        #expect(sm.get("a") == KeyValueRecord(value: [2], createRevision: 1, modRevision: 2, version: 2))
        #expect(sm.apply(entry(4, .delete(key: "a"))) == .deleted(revision: 3))
        #expect(sm.apply(entry(5, .delete(key: "a"))) == .deleted(revision: nil))
        #expect(sm.get("a") == nil && sm.revision == 3)
    }

    @Test("KV: compare-and-set by revision, 0 meaning absent")
    func compareAndSet() {
        var sm = ReplicatedStateMachine()
        #expect(sm.apply(entry(2, .compareAndSet(key: "k", expectedRevision: 0, value: [1]))) == .compareAndSet(succeeded: true, revision: 1))
        #expect(sm.apply(entry(3, .compareAndSet(key: "k", expectedRevision: 0, value: [2]))) == .compareAndSet(succeeded: false, revision: 1))
        #expect(sm.apply(entry(4, .compareAndSet(key: "k", expectedRevision: 1, value: [3]))) == .compareAndSet(succeeded: true, revision: 2))
        #expect(sm.get("k")?.value == [3])
    }

    @Test("KV: list by prefix, sorted")
    func listPrefix() {
        var sm = ReplicatedStateMachine()
        var i: UInt64 = 2
        for k in ["b/2", "a/1", "b/1", "c"] {
            sm.apply(entry(i, .put(key: k, value: [])))
            i += 1
        }
        #expect(sm.list(prefix: "b/").map(\.key) == ["b/1", "b/2"])
        #expect(sm.list(prefix: "").count == 4)
    }

    @Test("command log: append, get by sequence, stats")
    func commandLog() {
        var sm = ReplicatedStateMachine()
        #expect(sm.apply(entry(7, .logAppend(data: [1, 2, 3]))) == .appended(sequence: 1))
        #expect(sm.apply(entry(8, .logAppend(data: [4]))) == .appended(sequence: 2))
        #expect(sm.logRecord(2) == CommandLogRecord(sequence: 2, raftIndex: 8, raftTerm: 1, data: [4]))
        #expect(sm.logRecord(3) == nil)
        #expect(sm.logStats == CommandLogStats(count: 2, bytes: 4, firstSequence: 1, lastSequence: 2, lastRaftIndex: 8))
    }

    @Test("command log: a trim drops records up to a sequence; sequences go on; snapshots keep the trim")
    func commandLogTrim() {
        var sm = ReplicatedStateMachine()
        for i in 1...4 { sm.apply(entry(UInt64(i) + 1, .logAppend(data: [UInt8(i), UInt8(i)]))) }
        #expect(sm.apply(entry(6, .logTrim(through: 2))) == .logTrimmed(through: 2))
        #expect(sm.logRecord(2) == nil)
        #expect(sm.logRecord(3) == CommandLogRecord(sequence: 3, raftIndex: 4, raftTerm: 1, data: [3, 3]))
        #expect(sm.logStats == CommandLogStats(count: 2, bytes: 4, firstSequence: 3, lastSequence: 4, lastRaftIndex: 5))
        // An older trim point changes nothing; one past the end drops what there is.
        #expect(sm.apply(entry(7, .logTrim(through: 1))) == .logTrimmed(through: 2))
        #expect(sm.apply(entry(8, .logAppend(data: [5]))) == .appended(sequence: 5))
        let restored = ReplicatedStateMachine.restore(sm.snapshot(), membership: ConfState())
        #expect(restored == sm)
        #expect(restored?.logRecord(5)?.sequence == 5)
        #expect(sm.apply(entry(9, .logTrim(through: 99))) == .logTrimmed(through: 5))
        #expect(sm.logStats == CommandLogStats(count: 0, bytes: 0, firstSequence: 0, lastSequence: 5, lastRaftIndex: 0))
        #expect(sm.apply(entry(10, .logAppend(data: []))) == .appended(sequence: 6))
        #expect(sm.apply(entry(11, .logTrim(through: .max))) == .logTrimmed(through: 6))
        #expect(Command.decode(Command.logTrim(through: 7).encode()) == .logTrim(through: 7))
    }

    @Test("a version 2 snapshot (before trimming existed) still restores, its records numbered from 1")
    func versionTwoSnapshot() throws {
        var sm = ReplicatedStateMachine(membership: ConfState(voters: [1]))
        sm.apply(entry(2, .put(key: "k", value: [1])))
        let record = [UInt8](repeating: 7, count: 3)
        sm.apply(entry(3, .logAppend(data: record)))
        var bytes = sm.snapshot()
        // The command log section: trim point (u64 0), count (u32 1), then the one record
        // (index, term, data with its u32 length). Version 2 had no trim point.
        let recordBytes = 8 + 8 + 4 + record.count
        let trimAt = bytes.count - recordBytes - 4 - 8
        #expect(Array(bytes[trimAt..<(trimAt + 8)]) == [UInt8](repeating: 0, count: 8))
        bytes.removeSubrange(trimAt..<(trimAt + 8))
        bytes[4] = 2
        let restored = try #require(ReplicatedStateMachine.restore(bytes, membership: ConfState()))
        #expect(restored == sm)
        #expect(restored.logRecord(1)?.data == record)
        bytes[4] = 9
        #expect(ReplicatedStateMachine.restore(bytes, membership: ConfState()) == nil)
    }

    @Test("a snapshot whose trim point would overflow the sequences is refused")
    func absurdTrimPoint() throws {
        var sm = ReplicatedStateMachine(membership: ConfState(voters: [1]))
        sm.apply(entry(2, .logAppend(data: [1])))
        var bytes = sm.snapshot()
        let trimAt = bytes.count - (8 + 8 + 4 + 1) - 4 - 8
        for i in trimAt..<(trimAt + 8) { bytes[i] = 0xFF }
        #expect(ReplicatedStateMachine.restore(bytes, membership: ConfState()) == nil)
    }

    @Test("membership follows conf change entries; addresses of removed members are dropped")
    func membership() {
        var sm = ReplicatedStateMachine(membership: ConfState(voters: [1, 2]))
        sm.apply(entry(2, .setMemberAddress(node: 2, address: "h2:5432")))
        sm.apply(Entry(term: 1, index: 3, kind: .confChange, data: ConfChange([.init(.addLearner, 3)]).encode()))
        #expect(sm.membership == ConfState(voters: [1, 2], learners: [3]))
        sm.apply(Entry(term: 1, index: 4, kind: .confChange, data: ConfChange([.init(.removeNode, 2)]).encode()))
        #expect(sm.addresses[2] == nil)
    }

    @Test("snapshots are deterministic and round-trip; malformed bytes are refused")
    func snapshots() {
        var a = ReplicatedStateMachine(membership: ConfState(voters: [1]))
        var b = a
        let cmds: [Command] = [
            .put(key: "x", value: [1]), .put(key: "y", value: [2]), .logAppend(data: [9]), .delete(key: "x"),
            .setTopology(PostgresTopology(primary: 1, timeline: 3, lsn: 0x1_0000_0028)),
        ]
        for (i, c) in cmds.enumerated() { a.apply(entry(UInt64(i) + 2, c)) }
        for (i, c) in cmds.enumerated() { b.apply(entry(UInt64(i) + 2, c)) }
        #expect(a.snapshot() == b.snapshot())
        let restored = ReplicatedStateMachine.restore(a.snapshot(), membership: ConfState())
        #expect(restored == a)
        #expect(restored?.topology == PostgresTopology(primary: 1, timeline: 3, lsn: 0x1_0000_0028))
        #expect(ReplicatedStateMachine.restore([1, 2, 3], membership: ConfState()) == nil)
        #expect(ReplicatedStateMachine.restore([], membership: ConfState(voters: [4]))?.membership.voters == [4])
        for c in cmds + [.compareAndSet(key: "k", expectedRevision: 3, value: []), .setMemberAddress(node: 1, address: "a"), .noop(tag: 5)] {
            #expect(Command.decode(c.encode()) == c)
        }
    }

    @Test func aTaggedRequestRoundTripsAndAppliesAsItsCommand() {
        let tagged = Command.request(origin: 3, sequence: 77, command: .put(key: "k", value: [1]))
        #expect(Command.decode(tagged.encode()) == tagged)
        let tag = Command.requestTag(in: tagged.encode())
        #expect(tag?.origin == 3 && tag?.sequence == 77)
        #expect(Command.requestTag(in: Command.put(key: "k", value: [1]).encode()) == nil)
        #expect(Command.requestTag(in: [8, 1, 2]) == nil, "too short to hold a tag")
        #expect(Command.isMemberAddress(Command.setMemberAddress(node: 4, address: "h:1").encode()))
        #expect(!Command.isMemberAddress(tagged.encode()))
        // A request inside a request is refused: the tag is one level deep.
        let nested = Command.request(origin: 1, sequence: 1, command: tagged)
        #expect(Command.decode(nested.encode()) == nil)
        var sm = ReplicatedStateMachine(membership: ConfState(voters: [1]))
        #expect(sm.apply(Entry(term: 1, index: 1, data: tagged.encode())) == .put(revision: 1))
        #expect(sm.get("k")?.value == [1])
    }
}

import PGRaftNode
import RaftCore
import Testing

@Suite("NodeMachine ordering rules")
struct OrderingTests {
    @Test("the founding state is durable before the core runs")
    func foundingBeforeStart() {
        var b = Bench(voters: [1, 2, 3])
        #expect(b.feed(1, .storageConnected).contains { if case .load = $0 { true } else { false } })
        let founding = persists(b.feed(1, .loaded(nil)))
        #expect(founding.count == 1 && founding[0].snapshot != nil && founding[0].hardState != nil)
        #expect(!b.machines[1]!.isRunning)
        for _ in 0..<50 { #expect(b.feed(1, .tick).allSatisfy { if case .send = $0 { false } else { true } }) }
        b.fsync(1)
        #expect(b.machines[1]!.isRunning)
    }

    @Test("a follower acknowledges an append only once its batch is durable")
    func ackAfterFsync() throws {
        var b = Bench.settled()
        let (follower, appends) = b.proposeAndTakeAppends()
        #expect(appends.count == 1)
        let atArrival = b.feed(follower, .peerMessage(try #require(appends.first)))
        #expect(persists(atArrival).count == 1)
        #expect(sends(atArrival, .appendResponse).isEmpty, "acknowledged before the fsync")
        #expect(sends(b.fsync(follower), .appendResponse).count == 1)
    }

    @Test("with ack-before-fsync the acknowledgement leaves with the batch (the defect is real)")
    func ackBeforeFsyncDefect() throws {
        var b = Bench.settled(defects: .ackBeforeFsync)
        let (follower, appends) = b.proposeAndTakeAppends()
        let append = try #require(appends.first)
        #expect(sends(b.feed(follower, .peerMessage(append)), .appendResponse).count == 1)
    }

    @Test("a storage restart in the middle of a batch sends the identical batch again, and acknowledges only after it")
    func storageRestartResends() throws {
        var b = Bench.settled()
        let (follower, appends) = b.proposeAndTakeAppends()
        let append = try #require(appends.first)
        let first = try #require(persists(b.feed(follower, .peerMessage(append))).first)
        #expect(sends(b.feed(follower, .storageDisconnected), .appendResponse).isEmpty)
        let again = b.feed(follower, .storageConnected)
        #expect(persists(again) == [first])
        #expect(sends(again, .appendResponse).isEmpty)
        #expect(sends(b.fsync(follower), .appendResponse).count == 1)
    }

    @Test("a leader's appends leave before its own fsync; the client is answered only once the write is durable and applied")
    func replyOnlyOnApply() throws {
        var b = Bench.settled()
        let leader = b.leader
        let proposed = b.feed(leader, .request(7, .put(key: "k", value: [1])))
        #expect(persists(proposed).count == 1)
        #expect(!sends(proposed, .append).isEmpty, "appends waited for the leader's own fsync")
        #expect(replies(proposed).isEmpty)
        // The followers write and acknowledge; the leader's own disk has not finished, so its
        // next batch (the commit, the apply) waits and nobody is answered yet.
        var answered: [NodeReply] = []
        for _ in 0..<20 {
            let batch = b.network
            b.network = []
            for m in batch { answered += replies(b.feed(m.to, .peerMessage(m))) }
            for id in b.inFlight.keys.sorted() where id != leader { b.fsync(id) }
        }
        #expect(answered.isEmpty, "answered before the leader's batch was durable")
        answered += replies(b.fsync(leader))
        for _ in 0..<20 where answered.isEmpty {
            let batch = b.network
            b.network = []
            for m in batch { answered += replies(b.feed(m.to, .peerMessage(m))) }
            for id in b.inFlight.keys.sorted() { answered += replies(b.fsync(id)) }
        }
        let reply = try #require(answered.first)
        #expect(reply.id == 7 && reply.status == .ok && reply.isCommit)
    }

    @Test("with reply-before-commit the client is answered at the proposal (the defect is real)")
    func replyBeforeCommitDefect() {
        var b = Bench.settled(defects: .replyBeforeCommit)
        #expect(replies(b.feed(b.leader, .request(7, .put(key: "k", value: [1])))).count == 1)
    }

    @Test("heartbeats leave while the leader's disk is slow")
    func heartbeatsDuringSlowDisk() {
        var b = Bench.settled()
        let leader = b.leader
        b.feed(leader, .request(1, .put(key: "k", value: [1])))
        #expect(b.inFlight[leader] != nil)
        b.network = []
        var heartbeats = 0
        for _ in 0..<5 { heartbeats += sends(b.feed(leader, .tick), .heartbeat).count }
        #expect(heartbeats > 0)
    }
}

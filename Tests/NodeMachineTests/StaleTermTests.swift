import PGRaftNode
import RaftCore
import Testing

/// An acknowledgement waits in the core while a batch is at storage; if a newer leader's snapshot
/// replaces the follower's log meanwhile, the acknowledgement of the old term must not leave, since
/// the disk will never hold what it vouches for (found by the five-node simulator sweep).
@Suite("NodeMachine drops promises of a term it has left")
struct StaleTermTests {
    /// A follower with one batch at storage and a second append waiting behind it, then a snapshot
    /// from a leader of the next term that conflicts with both; everything written at the end.
    /// Returns what the follower sent after the fsyncs, the old term, and the last index its disk holds.
    static func run(defects: DriverDefects) throws -> (sent: [Message], oldTerm: UInt64, diskLast: UInt64) {
        var b = Bench.settled(defects: defects)
        let leader = b.leader
        let (follower, first) = b.proposeAndTakeAppends()
        let term = try #require(first.first).term
        #expect(persists(b.feed(follower, .peerMessage(try #require(first.first)))).count == 1)
        // A second entry reaches the follower while its first batch is at storage: its
        // acknowledgement waits in the core for the next batch. (The leader sends it once its
        // own batch with the first entry is durable.)
        b.fsync(leader)
        b.network = []
        b.feed(leader, .request(2, .put(key: "k2", value: [2])))
        let second = try #require(b.network.first { $0.to == follower && $0.kind == .append && !$0.entries.isEmpty })
        b.network = []
        #expect(persists(b.feed(follower, .peerMessage(second))).isEmpty, "a second batch went to storage")
        let lastAcked = try #require(second.entries.last).index
        // A leader of the next term sends a snapshot whose last entry conflicts with both.
        let newLeader: NodeID = [1, 2, 3].first { $0 != leader && $0 != follower }!
        var snapshot = Message(kind: .snapshot, from: newLeader, to: follower, term: term + 1)
        snapshot.snapshot = Snapshot(
            metadata: .init(index: lastAcked - 1, term: term + 1, confState: ConfState(voters: [1, 2, 3])), data: [])
        b.feed(follower, .peerMessage(snapshot))
        b.network = []
        var sent: [Message] = []
        while b.inFlight[follower] != nil { sent += sends(b.fsync(follower), .appendResponse) }
        let disk = try #require(b.disks[follower])
        return (sent, term, disk.entries.last?.index ?? disk.snapshot.metadata.index)
    }

    @Test("the old term's acknowledgements are dropped; the new leader's leaves")
    func staleAcknowledgementsAreDropped() throws {
        let (sent, oldTerm, diskLast) = try Self.run(defects: [])
        #expect(sent.allSatisfy { $0.term > oldTerm }, "sent \(sent.map { "term \($0.term) index \($0.index)" })")
        #expect(sent.contains { $0.term == oldTerm + 1 && $0.index == diskLast && !$0.reject })
    }

    @Test("with send-stale-term-acks an old-term acknowledgement names an index the disk does not hold (the defect is real)")
    func staleAcknowledgementDefect() throws {
        let (sent, oldTerm, diskLast) = try Self.run(defects: .sendStaleTermAcks)
        #expect(sent.contains { $0.term == oldTerm && !$0.reject && $0.index > diskLast })
    }
}

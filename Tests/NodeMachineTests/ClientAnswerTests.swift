import PGRaftClient
import PGRaftNode
import RaftCore
import Testing

/// How clients are answered when the cluster cannot serve them as asked: a read whose read point
/// does not come, a node that is no longer a member, an added node whose address was lost.
@Suite("NodeMachine answers clients promptly and truthfully")
struct ClientAnswerTests {
    /// Runs the cluster until `t` (ms), delivering every message but the read-index requests
    /// (lost on the way, so no read point comes), writing every batch.
    static func run(_ b: inout Bench, until t: Int64) {
        while b.now < t {
            let batch = b.network
            b.network = []
            for m in batch where b.machines[m.to] != nil && m.kind != .readIndex { b.feed(m.to, .peerMessage(m)) }
            for id in b.inFlight.keys.sorted() { b.fsync(id) }
            _ = b.tick(b.machines.keys.sorted())
        }
    }

    @Test("a read asked again together with an older one keeps its own deadline")
    func aFreshReadIsNotTimedOutWithAnOldOne() {
        var b = Bench.settled()
        let follower: NodeID = b.leader == 2 ? 3 : 2
        let start = b.now
        b.feed(follower, .request(1, .get(key: "k", linearizable: true)))
        Self.run(&b, until: start + 3_000)
        b.feed(follower, .request(2, .get(key: "k", linearizable: true)))
        // Both rounds go unanswered and are asked again, together, every election timeout; the
        // first read's deadline (5 s) passes.
        Self.run(&b, until: start + 5_200)
        #expect(b.answers.map(\.id) == [1])
        #expect(b.answers.first?.status == .timedOut)
        Self.run(&b, until: start + 8_200)
        #expect(b.answers.map(\.id) == [1, 2], "the second read waits for its own deadline")
    }

    @Test("a node that most members it dials refuse as a non-member answers at once, and serves again when welcomed")
    func aNonMemberSendsClientsElsewhere() throws {
        var b = Bench.settled()
        let node = try #require([1, 2, 3].first { $0 != b.leader && $0 != 3 })
        for peer in (node + 1)...3 { b.feed(node, .peerRefusal(peer, refused: true)) }
        b.feed(node, .request(1, .put(key: "k", value: [1])))
        let refused = try #require(b.answers.last)
        #expect(refused.id == 1 && refused.status == .notMember)
        guard case .message(let text) = refused.result else { return #expect(Bool(false), "no message: \(refused.result)") }
        #expect(text.contains("refuse this node as a non-member") && text.contains("send requests to a member"), "\(text)")
        for peer in (node + 1)...3 { b.feed(node, .peerRefusal(peer, refused: false)) }
        b.answers = []
        b.feed(node, .request(2, .get(key: "k", linearizable: false)))
        #expect(b.answers.map(\.status) == [.notFound])
    }

    @Test("adding a member again records the address that a leader change lost")
    func addingAgainRecordsALostAddress() throws {
        var b = Bench.settled()
        let leader = b.leader
        // The learner is in the membership, but the entry with its address is not (as when the
        // leader that appended the change lost leadership before the address entry committed).
        b.feed(leader, .confChange(ConfChange([.init(.addLearner, 4)])))
        b.settle()
        #expect(b.machines[leader]!.sm.membership.allMembers.contains(4))
        #expect(b.machines[leader]!.address(of: 4) == nil)
        b.answers = []
        b.feed(leader, .request(7, .addNode(id: 4, address: "127.0.0.1:7004")))
        b.settle(ticks: 20)
        #expect(b.answers.map(\.id) == [7])
        #expect(b.answers.first?.status == .ok)
        for id: NodeID in [1, 2, 3] { #expect(b.machines[id]!.address(of: 4) == "127.0.0.1:7004") }
        // Another address for the same member is still refused.
        b.answers = []
        b.feed(leader, .request(8, .addNode(id: 4, address: "127.0.0.1:9999")))
        #expect(b.answers.map(\.status) == [.invalid])
    }

    @Test("adding a founding member again at another address is refused: its configured address stands")
    func aFoundingMemberKeepsItsAddress() throws {
        var b = Bench.settled()
        let leader = b.leader
        let founder: NodeID = leader == 2 ? 3 : 2
        let configured = try #require(b.machines[leader]!.address(of: founder))
        b.feed(leader, .request(9, .addNode(id: founder, address: "10.9.9.9:7000")))
        #expect(b.answers.map(\.status) == [.invalid])
        b.settle(ticks: 5)
        for id: NodeID in [1, 2, 3] { #expect(b.machines[id]!.address(of: founder) == configured) }
    }

    @Test("only the leader records a lost address: a follower that may lag sends the operator to it")
    func aFollowerDoesNotRecordALostAddress() {
        var b = Bench.settled()
        let leader = b.leader
        b.feed(leader, .confChange(ConfChange([.init(.addLearner, 4)])))
        b.settle()
        let follower: NodeID = leader == 2 ? 3 : 2
        b.answers = []
        b.feed(follower, .request(7, .addNode(id: 4, address: "127.0.0.1:7004")))
        #expect(b.answers.map(\.status) == [.noLeader])
    }
}

import PGRaftClient
import PGRaftTestSupport
import Testing

@testable import PGRaftKit
import PGRaftBytes

@Suite struct PeerProtocolTests {
    @Test func aGreetingRoundTrips() throws {
        let hello = PeerHello(clusterName: "demo", nodeId: 3)
        #expect(try PeerHello.decode(hello.encoded()) == hello)
    }

    @Test func aTruncatedOrPaddedGreetingIsRefused() {
        let bytes = PeerHello(clusterName: "demo", nodeId: 3).encoded()
        #expect(throws: ByteDecodeError.self) { try PeerHello.decode(Array(bytes.dropLast())) }
        #expect(throws: ByteDecodeError.self) { try PeerHello.decode(bytes + [0]) }
    }

    @Test func randomBytesNeverCrashTheGreetingDecoder() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<20_000 {
            let bytes = (0..<Int(random.next() % 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = try? PeerHello.decode(bytes)
        }
    }

    @Test func eachUnacceptableGreetingSaysWhy() {
        let members: Set<UInt64> = [1, 2, 3]
        func refusal(_ hello: PeerHello) -> String? { hello.refusal(cluster: "demo", ownId: 1, members: members)?.reason }
        #expect(refusal(PeerHello(clusterName: "demo", nodeId: 2)) == nil)
        #expect(refusal(PeerHello(clusterName: "other", nodeId: 2)) == "node 2 belongs to cluster 'other', this node to 'demo'")
        #expect(refusal(PeerHello(clusterName: "demo", nodeId: 9)) == "node 9 is not a member of cluster 'demo' (members: 1, 2, 3)")
        #expect(refusal(PeerHello(clusterName: "demo", nodeId: 1)) == "node id 1 is this node's own id")
        #expect(
            refusal(PeerHello(clusterName: "demo", nodeId: 2, protocolVersion: 9))
                == "peer protocol version 9 is not supported (this node speaks 1)")
        #expect(PeerHello(clusterName: "demo", nodeId: 9).refusal(cluster: "demo", ownId: 1, members: members)?.kind == .notAMember)
        #expect(PeerHello(clusterName: "other", nodeId: 2).refusal(cluster: "demo", ownId: 1, members: members)?.kind == .other)
    }

    @Test func beforeTheMembershipIsKnown_anyNodeOfTheClusterIsWelcome_butNoOther() {
        #expect(PeerHello(clusterName: "demo", nodeId: 9).refusal(cluster: "demo", ownId: 1, members: nil) == nil)
        #expect(PeerHello(clusterName: "other", nodeId: 9).refusal(cluster: "demo", ownId: 1, members: nil)?.kind == .other)
        #expect(PeerHello(clusterName: "demo", nodeId: 1).refusal(cluster: "demo", ownId: 1, members: nil)?.kind == .other)
    }

    @Test func aRefusalCarriesItsKindAndReadsLeniently() {
        let refusal = PeerRefusal("node 9 is not a member", kind: .notAMember)
        #expect(PeerRefusal.decode(refusal.encoded()) == refusal)
        var reasonOnly = ByteWriter()
        reasonOnly.string("old peer")
        #expect(PeerRefusal.decode(reasonOnly.bytes) == PeerRefusal("old peer", kind: .other))
        #expect(PeerRefusal.decode(reasonOnly.bytes + [77]) == PeerRefusal("old peer", kind: .other))
        #expect(PeerRefusal.decode([1, 2]).kind == .other)
    }

    @Test func aLargeMessageCrossesAsChunksAndIsReassembledExactly() throws {
        var random = SeededRandom(seed: 11)
        let message = (0..<(PeerChunking.chunkBytes * 3 + 12_345)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let frames = PeerChunking.frames(for: message)
        #expect(frames.count == 4 && frames.allSatisfy { $0.type == PeerFrameType.raftChunk })
        #expect(frames.allSatisfy { $0.payload.count <= PeerChunking.chunkBytes + 8 })
        var assembler = PeerChunking.Assembler()
        var delivered: [[UInt8]] = []
        for frame in frames {
            if let whole = try assembler.add(frame.payload) { delivered.append(whole) }
        }
        #expect(delivered == [message])
        // A small message stays one plain frame.
        #expect(PeerChunking.frames(for: [1, 2, 3]).map(\.type) == [PeerFrameType.raft])
    }

    @Test func chunksThatContradictTheirLengthAreRefused() throws {
        func chunk(total: UInt64, _ bytes: [UInt8]) -> [UInt8] {
            var writer = ByteWriter()
            writer.u64(total)
            writer.raw(bytes)
            return writer.bytes
        }
        var assembler = PeerChunking.Assembler()
        #expect(try assembler.add(chunk(total: 10, [1, 2, 3])) == nil)
        #expect(throws: ByteDecodeError.self) { try assembler.add(chunk(total: 11, [4])) }
        var overflow = PeerChunking.Assembler()
        #expect(throws: ByteDecodeError.self) { try overflow.add(chunk(total: 2, [1, 2, 3])) }
        var absurd = PeerChunking.Assembler()
        #expect(throws: ByteDecodeError.self) { try absurd.add(chunk(total: UInt64(PeerChunking.maxMessageBytes) + 1, [1])) }
    }
}

@Suite struct ClientProtocolTests {
    @Test func everyRequestRoundTrips() throws {
        let operations: [ClientOperation] = [
            .put(key: "a/b", value: [0, 1, 255]), .delete(key: "a"), .get(key: "a", linearizable: true), .get(key: "a", linearizable: false),
            .list(prefix: "", linearizable: true), .logAppend(data: Array("x".utf8)), .logGet(sequence: 9, linearizable: false), .logStats,
            .addNode(id: 4, address: "127.0.0.1:7004"), .removeNode(id: 2), .transferLeader(id: 0), .metrics, .logTrim(through: 7),
            .compareAndSet(key: "a", expectedRevision: 4, value: [9]),
        ]
        for (i, operation) in operations.enumerated() {
            let request = ClientRequest(id: UInt64(i), operation: operation)
            #expect(try ClientRequest.decode(request.encoded()) == request)
        }
    }

    @Test func everyReplyRoundTrips() throws {
        let record = ClientKeyRecord(key: "k", value: [1, 2], createRevision: 3, modRevision: 4, version: 2)
        let metrics = ConsensusMetrics(
            latencyCounts: [1, 2, 3], latencySumMs: 1.5, sentByKind: [("append", 7)], receivedByKind: [("heartbeat", 2)])
        let results: [ClientResult] = [
            .none, .written(revision: 1, index: 2, term: 3), .record(record, revision: 9), .records([record, record], revision: 9),
            .logRecord(sequence: 1, index: 2, term: 3, data: [4]), .logStats(count: 1, bytes: 2, firstSequence: 1, lastSequence: 1, lastIndex: 5),
            .metrics(metrics), .message("no leader"), .logTrimmed(through: 7, index: 8, term: 3),
            .unchanged(revision: 9, modRevision: 4, index: 10, term: 3),
        ]
        for (i, result) in results.enumerated() {
            let reply = ClientReply(id: UInt64(i), status: .ok, leader: 2, result: result)
            #expect(try ClientReply.decode(reply.encoded()) == reply)
        }
        for status in [ClientStatus.noLeader, .unavailable, .invalid, .timedOut, .failed, .notMember, .notFound] {
            let reply = ClientReply(id: 1, status: status, leader: 0, result: .message("why"))
            #expect(try ClientReply.decode(reply.encoded()) == reply)
        }
        // A status this build does not know is a clear decoding error.
        var unknown = ClientReply(id: 1, status: .ok, leader: 0, result: .none).encoded()
        unknown[8] = 200  // after the 8-byte id
        #expect { try ClientReply.decode(unknown) } throws: { "\($0)".contains("unknown client status 200") }
    }

    @Test func malformedRequestsAndRepliesAreErrorsNeverCrashes() {
        var random = SeededRandom(seed: 5)
        for _ in 0..<20_000 {
            let bytes = (0..<Int(random.next() % 60)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = try? ClientRequest.decode(bytes)
            _ = try? ClientReply.decode(bytes)
            _ = try? HubMemberList.decode(bytes)
        }
        let valid = ClientRequest(id: 1, operation: .put(key: "k", value: [1])).encoded()
        #expect(throws: ByteDecodeError.self) { try ClientRequest.decode(valid + [0]) }
        #expect(throws: ByteDecodeError.self) { try ClientRequest.decode(Array(valid.dropLast())) }
    }

    @Test func theMemberListRoundTrips() throws {
        let list = HubMemberList(members: [(1, "127.0.0.1:7001"), (4, "[::1]:7004"), (5, "")])
        #expect(try HubMemberList.decode(list.encoded()) == list)
    }
}

import Testing

@testable import RaftCore

@Suite("Wire codec of messages, memberships and tagged requests")
struct WireCodecTests {
    static func sample() -> [Message] {
        var append = Message(kind: .append, from: 1, to: 2, term: 7)
        append.logTerm = 6
        append.index = 41
        append.commit = 40
        append.entries = [
            Entry(term: 7, index: 42, data: Array("put x".utf8)), Entry(term: 7, index: 43, kind: .confChange, data: ConfChange([.init(.addLearner, 4)]).encode()),
        ]
        var reject = Message(kind: .appendResponse, from: 2, to: 1, term: 7)
        reject.reject = true
        reject.rejectHint = 30
        reject.index = 41
        var snapshot = Message(kind: .snapshot, from: 1, to: 3, term: 7)
        snapshot.snapshot = Snapshot(
            metadata: .init(index: 100, term: 6, confState: ConfState(voters: [1, 2, 3], learners: [4])), data: [1, 2, 3, 4])
        var read = Message(kind: .heartbeat, from: 1, to: 2, term: 7)
        read.context = [9, 9, 9]
        return [append, reject, snapshot, read, Message(kind: .preVote, from: 3, to: 1, term: 8)]
    }

    @Test func everyKindOfMessageRoundTrips() {
        for message in Self.sample() {
            #expect(Message.decode(message.encode()) == message)
        }
        for kind in Message.Kind.allCases {
            var message = Message(kind: kind, from: 5, to: 6, term: 1)
            if kind == .propose { message.entries = [Entry(term: 0, index: 0, data: [1])] }
            if kind == .snapshot { message.snapshot = Snapshot(metadata: .init(index: 3, term: 1, confState: ConfState(voters: [5, 6])), data: []) }
            #expect(Message.decode(message.encode()) == message, "\(kind)")
        }
    }

    @Test func truncatedPaddedOrForeignBytesDecodeToNothing() {
        let bytes = Self.sample()[0].encode()
        for cut in [0, 1, 5, bytes.count / 2, bytes.count - 1] {
            #expect(Message.decode(Array(bytes.prefix(cut))) == nil, "a message cut at \(cut) bytes decoded")
        }
        #expect(Message.decode(bytes + [0]) == nil)
        var otherVersion = bytes
        otherVersion[0] = Message.wireVersion &+ 1
        #expect(Message.decode(otherVersion) == nil)
    }

    @Test func randomBytesAndFlippedBytesNeverCrashTheDecoder() {
        var random = SplitMix64(seed: 99)
        for _ in 0..<20_000 {
            let bytes = (0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = Message.decode(bytes)
        }
        let valid = Self.sample()[2].encode()
        for position in valid.indices {
            var flipped = valid
            flipped[position] ^= 0xFF
            _ = Message.decode(flipped)
        }
    }

    @Test func inconsistentMessagesAreDroppedAtDecoding() {
        var gap = Message(kind: .append, from: 1, to: 2, term: 5)
        gap.index = 10
        gap.entries = [Entry(term: 5, index: 11), Entry(term: 5, index: 13)]
        #expect(Message.decode(gap.encode()) == nil, "entries must follow index one by one")
        var behind = Message(kind: .append, from: 1, to: 2, term: 5)
        behind.index = 10
        behind.entries = [Entry(term: 5, index: 4)]
        #expect(Message.decode(behind.encode()) == nil)
        var future = Message(kind: .append, from: 1, to: 2, term: 5)
        future.index = 10
        future.entries = [Entry(term: 6, index: 11)]
        #expect(Message.decode(future.encode()) == nil, "an entry's term cannot pass the leader's")
        #expect(Message.decode(Message(kind: .heartbeat, from: 1, to: 2, term: .max).encode()) == nil, "a term near overflow")
        #expect(Message.decode(Message(kind: .heartbeat, from: 0, to: 2, term: 1).encode()) == nil, "node 0 is nobody")
        var stray = Message(kind: .heartbeat, from: 1, to: 2, term: 1)
        stray.entries = [Entry(term: 1, index: 1)]
        #expect(Message.decode(stray.encode()) == nil, "only appends and proposals carry entries")
    }

    @Test func membershipsRoundTripAndMalformedOnesAreRefused() {
        let joint = ConfState(voters: [1, 2, 4], votersOutgoing: [1, 2, 3], learners: [5], learnersNext: [3], autoLeave: true)
        #expect(ConfState.decode(joint.encode()) == joint)
        #expect(ConfState.decode(ConfState().encode()) == ConfState())
        #expect(ConfState.decode(Array(joint.encode().dropLast())) == nil)
        #expect(ConfState.decode([0xFF, 0xFF, 0xFF, 0xFF]) == nil)
    }
}

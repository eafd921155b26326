import PGRaftKit
import PGRaftTestSupport
import Testing
@testable import PGRaftStorage
import RaftCore
import PGRaftStorageProtocol
import PGRaftBytes

@Suite struct RecordCodecTests {
    @Test func crc32cMatchesTheCastagnoliCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let split = CRC32C.update(CRC32C.update(0, long, 0..<333), long, 333..<1000)
        #expect(split == CRC32C.checksum(long))
    }

    @Test func recordRoundTripsWithTermIndexTypeAndPayload() {
        var bytes: [UInt8] = []
        let first = LogEntry(term: 7, index: 42, type: 3, data: [1, 2, 3])
        let second = LogEntry(term: 8, index: 43, type: 0, data: [])
        RecordCodec.encode(first, into: &bytes)
        RecordCodec.encode(second, into: &bytes)
        #expect(RecordCodec.decode(bytes, at: 0) == .record(first, size: 28))
        #expect(RecordCodec.decode(bytes, at: 28) == .record(second, size: 25))
    }

    @Test func cutRecordIsIncompleteAndFlippedBitIsInvalid() {
        var bytes: [UInt8] = []
        RecordCodec.encode(LogEntry(term: 1, index: 1, data: Array(repeating: 9, count: 100)), into: &bytes)
        for cut in [0, 10, 24, 25, 124] {
            guard case .incomplete = RecordCodec.decode(bytes, at: 0, end: cut) else {
                Issue.record("a record cut at \(cut) bytes must be incomplete")
                continue
            }
        }
        for bit in [0, 40, 64 + 3, 8 * 24, 8 * 100] {
            var flipped = bytes
            flipped[bit / 8] ^= UInt8(1 << (bit % 8))
            switch RecordCodec.decode(flipped, at: 0) {
            case .record: Issue.record("a flipped bit \(bit) must not decode")
            default: break
            }
        }
    }

    @Test func randomBytesNeverCrashTheDecoders() {
        var random = SeededRandom(seed: 20_261_127)
        var decodedRecords = 0
        for round in 0..<20_000 {
            let count = Int(random.next() % 96)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if round % 3 == 0 && count >= 8 {
                // Plausible prefixes reach deeper into the decoders.
                bytes[0] = UInt8(random.next() % 40)
                for i in 1..<4 { bytes[i] = 0 }
            }
            if case .record = RecordCodec.decode(bytes, at: 0) { decodedRecords += 1 }
            _ = RecordCodec.decode(bytes, at: Int(random.next() % UInt64(count + 2)) - 1)
            _ = try? SegmentHeader.decode(bytes)
            _ = try? SnapshotCodec.decode(bytes)
            _ = try? StorageRequest.decode(bytes)
            _ = try? StorageReply.decode(bytes)
            _ = try? FixedFile.decode(bytes, magic: FixedFile.hardStateMagic, fieldCount: 3)
        }
        #expect(decodedRecords == 0)
    }

    @Test func mutatedValidMessagesDecodeOrThrowButNeverCrash() {
        var random = SeededRandom(seed: 7)
        let samples: [[UInt8]] = [
            StorageRequest(id: 9, operation: .append([LogEntry(term: 1, index: 1, data: [1, 2]), LogEntry(term: 1, index: 2)])).encoded(),
            StorageRequest(id: 10, operation: .saveSnapshot(StoredSnapshot(index: 5, term: 2, membership: [1], data: [2, 3]))).encoded(),
            StorageReply(id: 3, status: .ok, operation: 2, result: .entries([LogEntry(term: 1, index: 1, data: [7])])).encoded(),
            StorageReply(id: 4, status: .ok, operation: 8, result: .snapshot(StoredSnapshot(index: 1, term: 1))).encoded(),
        ]
        for _ in 0..<20_000 {
            var bytes = samples[Int(random.next() % UInt64(samples.count))]
            for _ in 0..<(1 + random.next() % 4) {
                switch random.next() % 3 {
                case 0: bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.removeLast(Int(random.next() % UInt64(bytes.count)))
                default: bytes.append(UInt8(truncatingIfNeeded: random.next()))
                }
                if bytes.isEmpty { bytes = [0] }
            }
            _ = try? StorageRequest.decode(bytes)
            _ = try? StorageReply.decode(bytes)
        }
    }

    @Test func everyRequestAndReplyRoundTrips() throws {
        let operations: [StorageOperation] = [
            .append([LogEntry(term: 2, index: 5, type: 1, data: [1, 2, 3]), LogEntry(term: 2, index: 6)]),
            .entries(from: 1, to: 9, maxBytes: 4096), .bounds, .term(index: 77),
            .saveHardState(HardState(term: 3, vote: 2, commit: 10)), .loadState,
            .saveSnapshot(StoredSnapshot(index: 100, term: 4, membership: [1, 2], data: Array(repeating: 5, count: 300))),
            .loadSnapshot, .compact(upTo: 50), .stats,
        ]
        for operation in operations {
            let request = StorageRequest(id: 123_456_789, operation: operation)
            #expect(try StorageRequest.decode(request.encoded()) == request)
        }
        let replies: [StorageReply] = [
            StorageReply(id: 1, status: .persisted, operation: 1, result: .appended(lastIndex: 6)),
            StorageReply(id: 2, status: .ok, operation: 2, result: .entries([LogEntry(term: 1, index: 1, data: [9])])),
            StorageReply(id: 3, status: .ok, operation: 3, result: .bounds(firstIndex: 1, lastIndex: 9, lastTerm: 2)),
            StorageReply(id: 4, status: .ok, operation: 4, result: .term(5)),
            StorageReply(id: 5, status: .persisted, operation: 5, result: .saved),
            StorageReply(
                id: 6, status: .ok, operation: 6,
                result: .state(StorageState(hardState: HardState(term: 1, vote: 1, commit: 1), firstIndex: 1, lastIndex: 2, lastTerm: 1, snapshotIndex: 0, snapshotTerm: 0))),
            StorageReply(id: 7, status: .ok, operation: 8, result: .snapshot(nil)),
            StorageReply(id: 8, status: .ok, operation: 8, result: .snapshot(StoredSnapshot(index: 3, term: 1, membership: [1], data: [2]))),
            StorageReply(id: 9, status: .ok, operation: 10, result: .stats(StorageStats(syncs: 1, appended: 2, segments: 3, indexBytes: 4))),
            StorageReply(id: 10, status: .invalidRequest, operation: 1, result: .error("gap")),
        ]
        for reply in replies {
            #expect(try StorageReply.decode(reply.encoded()) == reply)
        }
    }

    @Test func snapshotFileRoundTripsAndRefusesAFlippedBit() throws {
        let snapshot = StoredSnapshot(index: 99, term: 4, membership: [1, 2, 3], data: (0..<5000).map { UInt8(truncatingIfNeeded: $0) })
        var bytes = SnapshotCodec.encode(snapshot)
        #expect(try SnapshotCodec.decode(bytes) == snapshot)
        bytes[2000] ^= 0x10
        #expect(throws: ByteDecodeError.self) { try SnapshotCodec.decode(bytes) }
    }
}

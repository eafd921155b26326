import Foundation
import Testing
@testable import PGRaftStorage
import RaftCore

/// Damage that recovery must refuse (naming file and offset, deleting nothing) or repair (a torn tail).
///
/// The logs here are written without preallocation, so that each file ends at its last record and
/// damage can be placed exactly; the preallocated layout has its own tests at the end.
@Suite struct CorruptionTests {
    func openCompact(_ dir: TemporaryDirectory) throws(StorageError) -> LogEngine {
        try openEngine(dir, segmentBytes: 2048, stride: 4, preallocate: false)
    }

    /// A log of 300 entries over several 2 KiB segments, every entry committed.
    func makeLog(commit: UInt64 = 300) throws -> TemporaryDirectory {
        let dir = TemporaryDirectory("corrupt")
        let engine = try openCompact(dir)
        try engine.append(entries(1...300))
        try engine.saveHardState(HardState(term: 1, vote: 1, commit: commit))
        try engine.sync()
        engine.close()
        #expect(dir.segmentFiles.count >= 4)
        return dir
    }

    /// Byte offsets of the records in a segment file.
    func recordOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var at = SegmentHeader.size
        while case .record(_, let size) = RecordCodec.decode(bytes, at: at) {
            offsets.append(at)
            at += size
        }
        return offsets
    }

    func expectRefused(_ dir: TemporaryDirectory, file: String, offset: UInt64? = nil, reasonContains: String) {
        let before = dir.fingerprint()
        do throws(StorageError) {
            _ = try openCompact(dir)
            Issue.record("recovery accepted a damaged directory")
        } catch {
            guard case .corrupt(let badFile, let badOffset, let reason) = error else {
                Issue.record("expected a corruption error, got \(error)")
                return
            }
            #expect(badFile == dir.path + "/" + file)
            if let offset { #expect(badOffset == offset) }
            #expect(reason.contains(reasonContains), "\(reason)")
            #expect(error.description.contains(file))
        }
        #expect(dir.fingerprint() == before, "a refused recovery must change nothing")
    }

    @Test func flippedBitInAMiddleRecordStopsRecoveryWithFileAndOffset() throws {
        let dir = try makeLog()
        let name = dir.segmentFiles[1]
        var bytes = dir.bytes(name)
        let offset = recordOffsets(bytes)[3]
        bytes[offset + 26] ^= 0x04
        dir.write(name, bytes)
        expectRefused(dir, file: name, offset: UInt64(offset), reasonContains: "checksum mismatch")
    }

    @Test func flippedBitInTheLastSegmentBeforeValidRecordsIsNotATornTail() throws {
        let dir = try makeLog()
        let name = dir.segmentFiles.last!
        var bytes = dir.bytes(name)
        let offsets = recordOffsets(bytes)
        #expect(offsets.count >= 3)
        bytes[offsets[0] + 9] ^= 0x80
        dir.write(name, bytes)
        expectRefused(dir, file: name, offset: UInt64(offsets[0]), reasonContains: "not a torn tail")
    }

    @Test func truncatedMiddleSegmentStopsRecovery() throws {
        let dir = try makeLog()
        let name = dir.segmentFiles[1]
        let bytes = dir.bytes(name)
        let offsets = recordOffsets(bytes)
        dir.write(name, Array(bytes[..<(offsets[4] + 10)]))
        expectRefused(dir, file: name, offset: UInt64(offsets[4]), reasonContains: "ends")
    }

    @Test func middleSegmentCutAtARecordBoundaryLeavesAGapThatStopsRecovery() throws {
        let dir = try makeLog()
        let name = dir.segmentFiles[1]
        let bytes = dir.bytes(name)
        dir.write(name, Array(bytes[..<recordOffsets(bytes)[4]]))
        expectRefused(dir, file: dir.segmentFiles[2], offset: 24, reasonContains: "entries are missing")
    }

    @Test func deletedMiddleSegmentStopsRecovery() throws {
        let dir = try makeLog()
        let names = dir.segmentFiles
        try FileManager.default.removeItem(atPath: dir.path + "/" + names[1])
        expectRefused(dir, file: names[2], offset: 0, reasonContains: "missing")
    }

    @Test func deletedFirstSegmentStopsRecovery() throws {
        let dir = try makeLog()
        let names = dir.segmentFiles
        try FileManager.default.removeItem(atPath: dir.path + "/" + names[0])
        expectRefused(dir, file: names[1], offset: 0, reasonContains: "missing")
    }

    @Test func hardStatePointingPastTheLogStopsRecovery() throws {
        let dir = try makeLog()
        try FileManager.default.removeItem(atPath: dir.path + "/" + dir.segmentFiles.last!)
        expectRefused(dir, file: "hardstate", offset: 32, reasonContains: "points past the end of the log")
    }

    @Test func corruptHardStateStopsRecovery() throws {
        let dir = try makeLog()
        var bytes = dir.bytes("hardstate")
        bytes[20] ^= 1
        dir.write("hardstate", bytes)
        expectRefused(dir, file: "hardstate", offset: 0, reasonContains: "checksum")
    }

    @Test func tornTailIsTruncatedLoggedWithItsOffsetAndTheLogGoesOn() throws {
        let dir = try makeLog()
        let name = dir.segmentFiles.last!
        let bytes = dir.bytes(name)
        var record: [UInt8] = []
        RecordCodec.encode(entry(301), into: &record)
        dir.write(name, bytes + record.prefix(record.count - 3))
        let engine = try openCompact(dir)
        #expect(engine.recovery.truncatedTail == LogEngine.TornTail(file: dir.path + "/" + name, offset: UInt64(bytes.count), bytes: UInt64(record.count - 3)))
        #expect(engine.lastIndex == 300)
        #expect(dir.bytes(name) == bytes)
        try engine.append([entry(301), entry(302)])
        try engine.sync()
        #expect(try engine.entries(from: 290, to: 303) == entries(290...302))
    }

    @Test func checksumFailingLastRecordIsATornTail() throws {
        let dir = try makeLog(commit: 299)
        let name = dir.segmentFiles.last!
        let bytes = dir.bytes(name)
        let last = recordOffsets(bytes).last!
        var damaged = bytes
        damaged[damaged.count - 1] ^= 0xFF
        dir.write(name, damaged)
        let engine = try openCompact(dir)
        #expect(engine.recovery.truncatedTail?.offset == UInt64(last))
        #expect(engine.lastIndex == 299)
    }

    @Test func damagedLastRecordThatTheHardStateSaysIsCommittedStopsRecovery() throws {
        let dir = try makeLog(commit: 300)
        let name = dir.segmentFiles.last!
        var bytes = dir.bytes(name)
        bytes[bytes.count - 1] ^= 0xFF
        dir.write(name, bytes)
        expectRefused(dir, file: "hardstate", offset: 32, reasonContains: "acknowledged entries are missing")
    }

    @Test func zeroFilledTailIsFreeSpaceTheLogGoesOnIn() throws {
        let dir = try makeLog()
        let name = dir.segmentFiles.last!
        let bytes = dir.bytes(name)
        dir.write(name, bytes + [UInt8](repeating: 0, count: 700))
        let engine = try openCompact(dir)
        #expect(engine.recovery.truncatedTail == nil)
        #expect(engine.lastIndex == 300)
        try engine.append([entry(301)])
        try engine.sync()
        engine.close()
        #expect(try openCompact(dir).entries(from: 295, to: 302) == entries(295...301))
    }

    // MARK: - Preallocated segments

    /// A log of 300 entries over preallocated 4 KiB segments, the last one partly used.
    func makePreallocatedLog() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory("prealloc")
        let engine = try openEngine(dir, segmentBytes: 4096, stride: 4)
        try engine.append(entries(1...300))
        try engine.sync()
        engine.close()
        return dir
    }

    @Test func preallocatedSegmentsRecoverAndTheLogGoesOnWhereTheRecordsEnd() throws {
        let dir = try makePreallocatedLog()
        let name = dir.segmentFiles.last!
        #expect(dir.bytes(name).count == 4096)
        #expect(dir.bytes(name).last == 0)
        let engine = try openEngine(dir, segmentBytes: 4096, stride: 4)
        #expect(engine.recovery.truncatedTail == nil)
        #expect(engine.lastIndex == 300)
        try engine.append([entry(301), entry(302)])
        try engine.sync()
        engine.close()
        #expect(try openEngine(dir, segmentBytes: 4096, stride: 4).entries(from: 1, to: 303) == entries(1...302))
    }

    @Test func tornRecordBeforeThePreallocatedZerosIsATornTail() throws {
        let dir = try makePreallocatedLog()
        let name = dir.segmentFiles.last!
        let bytes = dir.bytes(name)
        let end = recordOffsets(bytes).last.map { at -> Int in
            guard case .record(_, let size) = RecordCodec.decode(bytes, at: at) else { return at }
            return at + size
        }!
        var record: [UInt8] = []
        RecordCodec.encode(entry(301), into: &record)
        try #require(end + record.count <= bytes.count, "the last segment has room for another record")
        var damaged = bytes
        damaged.replaceSubrange(end..<(end + record.count - 3), with: record.prefix(record.count - 3))
        dir.write(name, damaged)
        let engine = try openEngine(dir, segmentBytes: 4096, stride: 4)
        #expect(engine.recovery.truncatedTail?.offset == UInt64(end))
        #expect(engine.lastIndex == 300)
        #expect(dir.bytes(name) == bytes, "cut, and allocated again")
    }

    @Test func preallocatedSegmentWhoseHeaderNeverReachedTheDiskIsRemoved() throws {
        let dir = try makePreallocatedLog()
        let names = dir.segmentFiles
        let next = Segment.fileName(sequence: Segment.sequence(fromFileName: names.last!)! + 1)
        dir.write(next, [UInt8](repeating: 0, count: 4096))
        let engine = try openEngine(dir, segmentBytes: 4096, stride: 4)
        #expect(engine.lastIndex == 300)
        #expect(dir.segmentFiles == names)
    }

    @Test func newSegmentWhoseHeaderNeverReachedTheDiskIsRemoved() throws {
        let dir = try makeLog()
        let names = dir.segmentFiles
        let next = Segment.fileName(sequence: Segment.sequence(fromFileName: names.last!)! + 1)
        dir.write(next, [UInt8](repeating: 0, count: 12))
        let engine = try openCompact(dir)
        #expect(engine.lastIndex == 300)
        #expect(dir.segmentFiles == names)
    }
}

import CShims
import Foundation
import PGRaftBridge
import XCTest

@testable import PGRaftKit

/// The PostgreSQL status section: what the bridge publishes and the api's health routes read.
final class SegmentPostgresStatusTests: SegmentTestCase {
    static let roles: [BridgeStatus.Role] = [.primary, .fencedPrimary, .standby, .promoting, .stopped, .preparing, .refused]

    /// A record whose every field is derived from `k`, so that a mix of two publications shows.
    static func uniform(_ k: UInt64) -> PostgresStatusSnapshot {
        PostgresStatusSnapshot(
            role: roles[Int(k % UInt64(roles.count))], writable: k % 2 == 1, timeline: UInt32(truncatingIfNeeded: k),
            flushed: WALPosition(k << 8), replayed: WALPosition(k << 4), streamingFrom: k, postmasterPid: Int32(truncatingIfNeeded: k),
            detail: String(repeating: "é", count: Int(k % 300)) + " \(k)")
    }

    /// Whether `record` is `uniform(k)` for the `k` its `streamingFrom` names.
    static func isUniform(_ record: PostgresStatusSnapshot) -> Bool {
        var expected = uniform(record.streamingFrom)
        expected.detail = String(decoding: SegmentMemory.truncatedBytes(expected.detail, capacity: PostgresStatusSnapshot.detailCapacity, marker: "…"), as: UTF8.self)
        expected.publication = record.publication
        expected.publishedAtMs = record.publishedAtMs
        return record == expected
    }

    func testPostgresStatus_absentBeforeTheFirstPublication_thenRoundTripsBetweenMappings() throws {
        let bridge = try makeSegment()
        let api = try SharedSegment.attach(name: bridge.name)
        XCTAssertNil(try api.readPostgresStatus(), "no status before the bridge publishes")

        let status = PostgresStatusSnapshot(
            role: .standby, writable: false, timeline: 3, flushed: WALPosition(text: "16/B374D848")!, replayed: WALPosition(text: "16/B3000000")!,
            streamingFrom: 2, postmasterPid: 4242, detail: "streaming from node 2")
        let before = UInt64(pgr_monotonic_ms())
        let written = bridge.publishPostgresStatus(status)
        XCTAssertEqual(written.publication, 1)
        XCTAssertGreaterThanOrEqual(written.publishedAtMs, before)
        XCTAssertLessThanOrEqual(written.publishedAtMs, UInt64(pgr_monotonic_ms()))
        var expected = status
        expected.publication = 1
        expected.publishedAtMs = written.publishedAtMs
        XCTAssertEqual(written, expected)
        XCTAssertEqual(try api.readPostgresStatus(), expected)

        let primary = PostgresStatusSnapshot(role: .primary, writable: true, timeline: 4, flushed: WALPosition(99), replayed: WALPosition(99))
        let second = bridge.publishPostgresStatus(primary, atMonotonicMs: 1_234)
        XCTAssertEqual(second.publication, 2)
        XCTAssertEqual(second.publishedAtMs, 1_234)
        XCTAssertEqual(try api.readPostgresStatus(), second)
        XCTAssertTrue(try XCTUnwrap(api.readPostgresStatus()).isWritablePrimary)
    }

    func testPostgresStatus_everyRoleRoundTrips() throws {
        let segment = try makeSegment()
        for role in Self.roles {
            let written = segment.publishPostgresStatus(PostgresStatusSnapshot(role: role, detail: role.rawValue))
            XCTAssertEqual(try segment.readPostgresStatus(), written)
            XCTAssertEqual(try segment.readPostgresStatus()?.role, role)
        }
    }

    func testPostgresStatus_fromTheBridgeCoresStatus_keepsEveryField() {
        let core = BridgeStatus(
            role: .standby, detail: "following node 1", timeline: 2, flushed: WALPosition(300), replayed: WALPosition(200), streamingFrom: 1)
        let status = PostgresStatusSnapshot(core, writable: false, postmasterPid: 77)
        XCTAssertEqual(
            status,
            PostgresStatusSnapshot(
                role: .standby, timeline: 2, flushed: WALPosition(300), replayed: WALPosition(200), streamingFrom: 1, postmasterPid: 77,
                detail: "following node 1"))
        XCTAssertTrue(status.isStreamingStandby)
        XCTAssertFalse(status.isWritablePrimary)
    }

    func testPostgresStatus_aLongDetail_isCutOnACharacterBoundaryAndMarked() throws {
        let segment = try makeSegment()
        let capacity = PostgresStatusSnapshot.detailCapacity
        // 2-byte characters after one ASCII byte: the capacity falls in the middle of a character.
        let long = "x" + String(repeating: "é", count: capacity)
        let written = segment.publishPostgresStatus(PostgresStatusSnapshot(role: .preparing, detail: long))
        let read = try XCTUnwrap(segment.readPostgresStatus())
        XCTAssertEqual(read, written)
        XCTAssertLessThanOrEqual(read.detail.utf8.count, capacity)
        XCTAssertTrue(read.detail.hasSuffix("…"))
        XCTAssertTrue(long.hasPrefix(read.detail.dropLast()), "the kept part is a prefix of the detail")
        XCTAssertEqual(read.detail.utf8.count, capacity, "1 + 254 × 2 bytes of text, then 3 of the marker")
        XCTAssertFalse(read.detail.unicodeScalars.contains("\u{FFFD}"), "no character was split")

        // Exactly the capacity is kept whole; a NUL ends the text.
        let exact = String(repeating: "a", count: capacity)
        XCTAssertEqual(segment.publishPostgresStatus(PostgresStatusSnapshot(role: .stopped, detail: exact)).detail, exact)
        XCTAssertEqual(try segment.readPostgresStatus()?.detail, exact)
        segment.publishPostgresStatus(PostgresStatusSnapshot(role: .stopped, detail: "before\u{0}after"))
        XCTAssertEqual(try segment.readPostgresStatus()?.detail, "before…")
        // A grapheme of many scalars is kept whole or not at all.
        let family = "👨‍👩‍👧‍👦"
        let graphemes = String(repeating: "a", count: capacity - 10) + family
        let cut = segment.publishPostgresStatus(PostgresStatusSnapshot(role: .stopped, detail: graphemes)).detail
        XCTAssertEqual(cut, String(repeating: "a", count: capacity - 10) + "…")
    }

    func testPostgresStatus_staleness_isMeasuredInHealthPeriods() {
        let status = PostgresStatusSnapshot(role: .primary, writable: true, publication: 3, publishedAtMs: 10_000)
        XCTAssertEqual(status.ageMs(nowMs: 10_250), 250)
        XCTAssertEqual(status.ageMs(nowMs: 9_000), 0, "a clock read before the publication is age 0")
        XCTAssertFalse(status.isStale(nowMs: 10_000 + 4 * 500, healthPeriodMs: 500))
        XCTAssertTrue(status.isStale(nowMs: 10_000 + 4 * 500 + 1, healthPeriodMs: 500))
        XCTAssertTrue(status.isStale(nowMs: 10_000 + 401, healthPeriodMs: 100))
    }

    func testPostgresStatus_readerNeverSeesATornRecord_whileTheBridgeRepublishesRapidly() throws {
        let segment = try makeSegment()
        let reader = try SharedSegment.attach(name: segment.name)
        let stop = AtomicFlag()
        let writerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var k: UInt64 = 1
            while !stop.isSet {
                segment.publishPostgresStatus(SegmentPostgresStatusTests.uniform(k))
                k += 1
            }
            writerDone.signal()
        }
        var distinct = Set<UInt64>()
        var lastPublication: UInt64 = 0
        let deadline = pgr_monotonic_ms() + 2_000
        while pgr_monotonic_ms() < deadline || distinct.count < 100 {
            guard let record = try reader.readPostgresStatus() else { continue }
            if !Self.isUniform(record) {
                XCTFail("torn read: \(record)")
                break
            }
            XCTAssertGreaterThanOrEqual(record.publication, lastPublication, "publications only go forward")
            XCTAssertEqual(record.publication, record.streamingFrom, "the publication number counts the writer's calls")
            lastPublication = record.publication
            distinct.insert(record.publication)
            if pgr_monotonic_ms() > deadline + 20_000 { break }
        }
        stop.set()
        XCTAssertEqual(writerDone.wait(timeout: .now() + 10), .success)
        XCTAssertGreaterThanOrEqual(distinct.count, 100, "the reader saw the writer's progress")
    }

    func testPostgresStatus_bridgeKilledMidWrite_readersKeepTheLastRecord_andARestartedBridgeCountsOn() throws {
        let bridge = try makeSegment()
        let reader = try SharedSegment.attach(name: bridge.name)
        let a = bridge.publishPostgresStatus(PostgresStatusSnapshot(role: .primary, writable: true, timeline: 1, detail: "a"))
        bridge.postgresLatch.abandonWrite(scribble: 0xAB)
        XCTAssertEqual(try reader.readPostgresStatus(), a, "readers get the last complete record, at once")

        let restarted = try SharedSegment.attach(name: bridge.name)
        let b = restarted.publishPostgresStatus(PostgresStatusSnapshot(role: .fencedPrimary, timeline: 1, detail: "b"))
        XCTAssertEqual(b.publication, 2, "the count goes on from the last complete record")
        XCTAssertEqual(try reader.readPostgresStatus(), b)
        restarted.postgresLatch.abandonWrite(scribble: 0xCD)
        XCTAssertEqual(try reader.readPostgresStatus(), b)
        let c = restarted.publishPostgresStatus(PostgresStatusSnapshot(role: .standby, streamingFrom: 3))
        XCTAssertEqual(c.publication, 3)
        XCTAssertEqual(try reader.readPostgresStatus(), c)
    }

    func testPostgresStatus_sectionIsLastAndTheLayoutVersionSaysSo() throws {
        let map = try SegmentMap(layout: .standard)
        XCTAssertEqual(SegmentSection.allCases.last, .postgresStatus)
        XCTAssertEqual(map.offset(.postgresStatus) + map.size(.postgresStatus), map.totalSize)
        XCTAssertGreaterThanOrEqual(map.size(.postgresStatus), SeqLatch.regionSize(recordSize: SegmentSection.PostgresRecord.size))
        XCTAssertEqual(SharedSegment.layoutVersion, 2)
    }
}

/// A flag threads can share (an atomic word on the heap).
private final class AtomicFlag: @unchecked Sendable {
    private let word = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    init() { word.initialize(to: 0) }
    deinit { word.deallocate() }
    func set() { pgr_atomic_store_u64(word, 1) }
    var isSet: Bool { pgr_atomic_load_u64(word) != 0 }
}

import CShims
import Foundation
import XCTest

@testable import PGRaftKit

#if canImport(Glibc)
import Glibc
#endif

/// Base for the segment tests: unique segment names (test pid + counter), unlinked in tear-down.
class SegmentTestCase: XCTestCase {
    private var segmentNames: [String] = []
    private static let counter = SegmentTestCounter()

    override func tearDown() {
        for name in segmentNames { SharedSegment.unlink(name: name) }
        segmentNames = []
        super.tearDown()
    }

    /// A segment name no other test (or test run) uses; unlinked in tear-down.
    func uniqueName(_ label: String = #function) -> String {
        let tag = label.filter { $0.isLetter || $0.isNumber }.prefix(40)
        let name = "/pgraft-test-\(getpid())-\(SegmentTestCase.counter.next())-\(tag)"
        segmentNames.append(name)
        return name
    }

    /// A node description for tests.
    var testNode: NodeInfo {
        NodeInfo(nodeId: 7, clusterName: "test-cluster", listenAddress: "10.0.0.7", listenPort: 7007, initFlags: 3)
    }

    /// Creates a segment with a unique name.
    func makeSegment(layout: SegmentLayout = .standard, _ label: String = #function) throws -> SharedSegment {
        try SharedSegment.create(name: uniqueName(label), layout: layout, node: testNode)
    }
}

/// A process-wide counter for unique names.
final class SegmentTestCounter: @unchecked Sendable {
    private let word = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    init() { word.initialize(to: 0) }
    func next() -> UInt64 { pgr_atomic_add_u64(word, 1) }
}

final class SegmentTests: SegmentTestCase {
    // MARK: - Layout

    func testLayout_sectionsAreAlignedContiguousAndAddUp() throws {
        for layout in [SegmentLayout.standard, SegmentLayout(componentCapacity: 3, queueCapacity: 5, payloadCapacity: 7, statusCapacity: 9, maxMembers: 1)] {
            let map = try SegmentMap(layout: layout)
            var end = 0
            for section in SegmentSection.allCases {
                XCTAssertEqual(map.offset(section) % 64, 0, "\(section.name) offset is not 64-byte aligned")
                XCTAssertEqual(map.size(section) % 64, 0, "\(section.name) size is not padded to 64 bytes")
                XCTAssertEqual(map.offset(section), end, "\(section.name) does not follow the previous section")
                XCTAssertGreaterThan(map.size(section), 0)
                end = map.offset(section) + map.size(section)
            }
            XCTAssertEqual(map.totalSize, end)
        }
        let segment = try makeSegment()
        XCTAssertEqual(segment.size, try SegmentMap(layout: .standard).totalSize)
        let header = segment.base
        XCTAssertEqual(header.load(fromByteOffset: SegmentSection.Header.totalSize, as: UInt64.self), UInt64(segment.size))
        for section in SegmentSection.allCases {
            let entry = SegmentSection.Header.sectionTable + section.rawValue * SegmentSection.Header.sectionEntrySize
            XCTAssertEqual(header.load(fromByteOffset: entry, as: UInt64.self), UInt64(segment.map.offset(section)))
            XCTAssertEqual(header.load(fromByteOffset: entry + 8, as: UInt64.self), UInt64(segment.map.size(section)))
        }
        // Records fit their slots.
        XCTAssertLessThanOrEqual(ComponentSlot.nameOffset + SeqLatch.regionSize(recordSize: ComponentSlot.nameCapacity), ComponentSlot.stride)
        XCTAssertLessThanOrEqual(SegmentSection.Header.sectionTable + SegmentSection.allCases.count * 16, SegmentSection.Header.size)
    }

    func testLayout_outOfRangeOrOverflowingCapacities_throwInvalidLayout() {
        let bad = [
            SegmentLayout(componentCapacity: 0),
            SegmentLayout(queueCapacity: -1),
            SegmentLayout(payloadCapacity: Int.max),
            SegmentLayout(statusCapacity: 1 << 40),
            SegmentLayout(maxMembers: 100_000),
            SegmentLayout(queueCapacity: 1 << 20, payloadCapacity: 1 << 24),  // 16 TiB
        ]
        for layout in bad {
            XCTAssertThrowsError(try SegmentMap(layout: layout)) { error in
                guard case SegmentError.invalidLayout = error else { return XCTFail("unexpected \(error)") }
            }
        }
    }

    // MARK: - Create and attach

    func testCreate_recordsOwnerLayoutAndNode_andAttachReadsThem() throws {
        let layout = SegmentLayout(componentCapacity: 4, queueCapacity: 8, payloadCapacity: 100, statusCapacity: 5, maxMembers: 3)
        let before = UInt64(pgr_wall_ms())
        let created = try makeSegment(layout: layout)
        XCTAssertEqual(created.ownerPid, getpid())
        XCTAssertGreaterThanOrEqual(created.createdAtMs, before)
        XCTAssertEqual(created.node, testNode)

        let attached = try SharedSegment.attach(name: created.name)
        XCTAssertEqual(attached.layout, layout)
        XCTAssertEqual(attached.componentCapacity, 4)
        XCTAssertEqual(attached.size, created.size)
        XCTAssertEqual(attached.node, testNode)
        XCTAssertEqual(attached.ownerPid, getpid())

        var updated = testNode
        updated.listenPort = 9999
        updated.clusterName = String(repeating: "c", count: 64)
        try created.updateNode(updated)
        XCTAssertEqual(attached.node, updated)
    }

    func testCreate_nameWithoutSlash_getsOne_andInvalidNamesAreRefused() throws {
        let name = uniqueName()
        let segment = try SharedSegment.create(name: String(name.dropFirst()), layout: .standard, node: testNode)
        XCTAssertEqual(segment.name, name)
        for bad in ["", "/", "/a/b", String(repeating: "x", count: 300)] {
            XCTAssertThrowsError(try SharedSegment.attach(name: bad)) { error in
                guard case SegmentError.invalidName = error else { return XCTFail("unexpected \(error)") }
            }
        }
    }

    func testCreate_fieldTooLong_throwsAndCreatesNothing() {
        let name = uniqueName()
        var node = testNode
        node.clusterName = String(repeating: "x", count: 65)
        XCTAssertThrowsError(try SharedSegment.create(name: name, layout: .standard, node: node)) { error in
            XCTAssertEqual(error as? SegmentError, .fieldTooLong(field: "cluster name", length: 65, limit: 64))
        }
        XCTAssertThrowsError(try SharedSegment.attach(name: name)) { error in
            XCTAssertEqual(error as? SegmentError, .notFound(name: name))
        }
    }

    func testAttach_missingSegment_throwsNotFound() {
        let name = uniqueName()
        XCTAssertThrowsError(try SharedSegment.attach(name: name)) { error in
            XCTAssertEqual(error as? SegmentError, .notFound(name: name))
            XCTAssertTrue("\(error)".contains(name))
        }
    }

    func testAttach_badMagic_throwsNamingFoundAndExpected() throws {
        let segment = try makeSegment()
        segment.base.storeBytes(of: UInt64(0x5853_5446_4152_4750), toByteOffset: 0, as: UInt64.self)  // "PGRAFTSX"
        XCTAssertThrowsError(try SharedSegment.attach(name: segment.name)) { error in
            XCTAssertEqual(
                error as? SegmentError, .badMagic(name: segment.name, found: "\"PGRAFTSX\"", expected: "\"PGRAFTSM\""))
            XCTAssertTrue("\(error)".contains(segment.name))
        }
        segment.base.storeBytes(of: UInt64(0), toByteOffset: 0, as: UInt64.self)
        XCTAssertThrowsError(try SharedSegment.attach(name: segment.name)) { error in
            XCTAssertTrue("\(error)".contains("0x0000000000000000"), "\(error)")
        }
    }

    func testAttach_otherLayoutVersion_throwsVersionMismatch() throws {
        let segment = try makeSegment()
        segment.base.storeBytes(of: UInt32(99), toByteOffset: SegmentSection.Header.layoutVersion, as: UInt32.self)
        XCTAssertThrowsError(try SharedSegment.attach(name: segment.name)) { error in
            XCTAssertEqual(
                error as? SegmentError,
                .versionMismatch(name: segment.name, found: 99, expected: SharedSegment.layoutVersion))
            XCTAssertTrue("\(error)".contains("layout version 99"), "\(error)")
        }
    }

    func testAttach_sizeDifferentFromHeader_throwsSizeMismatch() throws {
        let segment = try makeSegment()
        let claimed = segment.size + 4096
        segment.base.storeBytes(of: UInt64(claimed), toByteOffset: SegmentSection.Header.totalSize, as: UInt64.self)
        XCTAssertThrowsError(try SharedSegment.attach(name: segment.name)) { error in
            XCTAssertEqual(error as? SegmentError, .sizeMismatch(name: segment.name, found: segment.size, expected: claimed))
        }
    }

    func testAttach_corruptSectionTable_throwsCorrupt() throws {
        let segment = try makeSegment()
        let entry = SegmentSection.Header.sectionTable + SegmentSection.commandQueue.rawValue * 16
        segment.base.storeBytes(of: UInt64(12345), toByteOffset: entry, as: UInt64.self)
        XCTAssertThrowsError(try SharedSegment.attach(name: segment.name)) { error in
            guard case SegmentError.corrupt(let name, let reason) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(name, segment.name)
            XCTAssertTrue(reason.contains("command queue at offset 12345"), reason)
        }
    }

    func testCreate_whileOwnerIsAlive_throwsInUse() throws {
        let segment = try makeSegment()
        XCTAssertThrowsError(try SharedSegment.create(name: segment.name, layout: .standard, node: testNode)) { error in
            XCTAssertEqual(error as? SegmentError, .inUse(name: segment.name, ownerPid: getpid()))
            XCTAssertTrue("\(error)".contains("another pgraftd"), "\(error)")
        }
        XCTAssertEqual(try SharedSegment.attach(name: segment.name).node, testNode, "the live segment must be untouched")
    }

    func testCreate_overStaleSegmentOfDeadOwner_replacesIt() throws {
        let stale = try makeSegment()
        stale.componentSlot(at: 0).name = "old"
        let deadPid = try SegmentTestProcess.deadPid()
        pgr_atomic_store_i32(SegmentMemory.i32(stale.base, SegmentSection.Header.ownerPid), deadPid)

        let fresh = try SharedSegment.create(name: stale.name, layout: .standard, node: testNode)
        XCTAssertEqual(fresh.ownerPid, getpid())
        XCTAssertEqual(fresh.componentSlot(at: 0).name, "", "a new segment, not the stale one")
        XCTAssertEqual(try SharedSegment.attach(name: stale.name).componentSlot(at: 0).name, "")
        XCTAssertFalse(stale.unlink(), "the stale instance must not unlink its successor")
        XCTAssertNoThrow(try SharedSegment.attach(name: stale.name))
    }

    func testCreate_overReusedOwnerPid_replacesIt() throws {
        // The recorded pid is alive (it is ours) but its start time is not the recorded one: pid reuse.
        let stale = try makeSegment()
        pgr_atomic_store_u64(SegmentMemory.u64(stale.base, SegmentSection.Header.ownerStartTime), 1)
        let fresh = try SharedSegment.create(name: stale.name, layout: .standard, node: testNode)
        XCTAssertEqual(fresh.ownerPid, getpid())
    }

    func testCreate_overForeignObject_replacesIt() throws {
        let name = uniqueName()
        let fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let garbage = [UInt8](repeating: 0xEE, count: 512)
        XCTAssertEqual(garbage.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }, 512)
        close(fd)
        XCTAssertThrowsError(try SharedSegment.attach(name: name)) { error in
            guard case SegmentError.badMagic = error else { return XCTFail("unexpected \(error)") }
        }
        let segment = try SharedSegment.create(name: name, layout: .standard, node: testNode)
        XCTAssertEqual(try SharedSegment.attach(name: name).size, segment.size)
    }

    func testUnlink_removesTheName_mappingsStayValid() throws {
        let segment = try makeSegment()
        let attached = try SharedSegment.attach(name: segment.name)
        XCTAssertTrue(segment.unlink())
        XCTAssertFalse(segment.unlink())
        XCTAssertThrowsError(try SharedSegment.attach(name: segment.name))
        attached.componentSlot(at: 1).pid = 42
        XCTAssertEqual(segment.componentSlot(at: 1).pid, 42)
    }

    // MARK: - Component slots and counters

    func testComponentSlot_roundTripsBetweenTwoMappings() throws {
        let supervisor = try makeSegment()
        let component = try SharedSegment.attach(name: supervisor.name)
        let slot = supervisor.componentSlot(at: 3)
        slot.name = "consensus"
        slot.state = .starting
        slot.pid = 4242
        slot.restarts = 2
        slot.startedAtMs = 1_700_000_000_123
        slot.lastExit = .signaled(SIGKILL)

        let mine = component.componentSlot(at: 3)
        XCTAssertEqual(mine.name, "consensus")
        XCTAssertEqual(mine.state, .starting)
        XCTAssertEqual(mine.pid, 4242)
        XCTAssertEqual(mine.restarts, 2)
        XCTAssertEqual(mine.startedAtMs, 1_700_000_000_123)
        XCTAssertEqual(mine.lastExit, .signaled(SIGKILL))
        XCTAssertFalse(slot.isReady)
        mine.readyPid = 4241
        XCTAssertFalse(slot.isReady, "a ready pid from another process does not count")
        mine.readyPid = 4242
        XCTAssertTrue(slot.isReady)
        for _ in 0..<5 { mine.beat() }
        XCTAssertEqual(slot.heartbeat, 5)

        XCTAssertEqual(component.componentIndex(named: "consensus"), 3)
        XCTAssertNil(component.componentIndex(named: "storage"))
        XCTAssertNil(component.componentIndex(named: ""))
        XCTAssertEqual(supervisor.componentSlot(at: 0).state, .idle)
        XCTAssertEqual(supervisor.componentSlot(at: 0).lastExit, .none)
    }

    func testComponentSlot_longName_isTruncatedAtACharacterBoundary() throws {
        let segment = try makeSegment()
        let slot = segment.componentSlot(at: 0)
        slot.name = String(repeating: "a", count: 31) + "é"  // 33 bytes
        XCTAssertEqual(slot.name, String(repeating: "a", count: 31))
        slot.name = String(repeating: "b", count: 32)
        XCTAssertEqual(slot.name, String(repeating: "b", count: 32))
    }

    func testExitStatus_encodingWaitStatusAndDescription() {
        for status: ExitStatus in [.none, .exited(0), .exited(1), .exited(-1), .exited(255), .signaled(9), .signaled(15)] {
            XCTAssertEqual(ExitStatus(encoded: status.encoded), status)
        }
        XCTAssertEqual(ExitStatus.none.encoded, 0)
        XCTAssertEqual(ExitStatus(waitStatus: 1 << 8), .exited(1))
        XCTAssertEqual(ExitStatus(waitStatus: SIGKILL), .signaled(SIGKILL))
        XCTAssertEqual(ExitStatus.exited(1).description, "exit 1")
        XCTAssertEqual(ExitStatus.signaled(SIGKILL).description, "killed by SIGKILL (9)")
        XCTAssertEqual(ExitStatus.signaled(SIGTERM).description, "killed by SIGTERM (15)")
        XCTAssertEqual(ExitStatus.signaled(77).description, "killed by signal 77")
        XCTAssertEqual(ComponentState.running.displayName, "RUNNING")
        XCTAssertEqual(CounterKind.messagesSent.metricName, "messages_sent")
    }

    func testCounters_roundTripBetweenMappings_andConcurrentIncrementsAddUp() throws {
        let segment = try makeSegment()
        let other = try SharedSegment.attach(name: segment.name)
        let counters = segment.counters(at: 2)
        counters.increment(.messagesSent)
        counters.increment(.bytesSent, by: 1_000)
        XCTAssertEqual(other.counters(at: 2)[.messagesSent], 1)
        XCTAssertEqual(other.componentSlot(at: 2).counters[.bytesSent], 1_000)
        XCTAssertEqual(other.counters(at: 1)[.messagesSent], 0, "slots are separate")
        XCTAssertLessThanOrEqual(CounterKind.allCases.count, CounterKind.capacity)

        let threads = 4
        let perThread = 10_000
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let view = (thread % 2 == 0 ? segment : other).counters(at: 5)
            for _ in 0..<perThread { view.increment(.fsyncs) }
        }
        XCTAssertEqual(segment.counters(at: 5)[.fsyncs], UInt64(threads * perThread))
        XCTAssertEqual(other.counters(at: 5).values.first { $0.kind == .fsyncs }?.value, UInt64(threads * perThread))
    }
}

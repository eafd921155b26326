import CShims
import Foundation
import XCTest

@testable import PGRaftKit
import PGRaftTestSupport

/// A flag threads can share (an atomic word on the heap).
private final class StopFlag: @unchecked Sendable {
    private let word = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    init() { word.initialize(to: 0) }
    deinit { word.deallocate() }
    func set() { pgr_atomic_store_u64(word, 1) }
    var isSet: Bool { pgr_atomic_load_u64(word) != 0 }
}

final class SegmentClusterStateTests: SegmentTestCase {
    private static func uniformState(_ k: UInt64, maxMembers: Int) -> ClusterStateSnapshot {
        SegmentStress.uniformClusterState(k, maxMembers: maxMembers)
    }

    private func isUniform(_ state: ClusterStateSnapshot, maxMembers: Int) -> Bool {
        SegmentStress.isUniformClusterState(state, maxMembers: maxMembers)
    }

    func testClusterState_zeroBeforePublish_thenRoundTripsBetweenMappings() throws {
        let consensus = try makeSegment()
        let api = try SharedSegment.attach(name: consensus.name)
        XCTAssertEqual(try api.readClusterState(), ClusterStateSnapshot())
        let state = ClusterStateSnapshot(
            term: 5, leaderId: 2, role: .follower, commitIndex: 100, appliedIndex: 99, lastIndex: 101, snapshotIndex: 50,
            members: [
                ClusterMember(id: 1, address: "10.0.0.1:7000", matchIndex: 101, nextIndex: 102, lastContactMs: 1_000),
                ClusterMember(id: 2, address: "10.0.0.2:7000"),
                ClusterMember(id: 4, address: String(repeating: "h", count: 64), kind: .learner),
            ])
        try consensus.publishClusterState(state)
        XCTAssertEqual(try api.readClusterState(), state)
        try consensus.publishClusterState(ClusterStateSnapshot(term: 6, role: .candidate))
        XCTAssertEqual(try api.readClusterState(), ClusterStateSnapshot(term: 6, role: .candidate))
    }

    func testClusterState_tooManyMembersOrLongAddress_throwsAndKeepsThePublishedState() throws {
        let segment = try makeSegment(layout: SegmentLayout(maxMembers: 2))
        let good = ClusterStateSnapshot(term: 1, members: [ClusterMember(id: 1, address: "a")])
        try segment.publishClusterState(good)
        let three = (1...3).map { ClusterMember(id: $0, address: "n\($0)") }
        XCTAssertThrowsError(try segment.publishClusterState(ClusterStateSnapshot(term: 2, members: three))) { error in
            XCTAssertEqual(error as? SegmentError, .tooManyMembers(count: 3, limit: 2))
        }
        let long = [ClusterMember(id: 9, address: String(repeating: "x", count: 65))]
        XCTAssertThrowsError(try segment.publishClusterState(ClusterStateSnapshot(term: 3, members: long))) { error in
            XCTAssertEqual(error as? SegmentError, .fieldTooLong(field: "address of member 9", length: 65, limit: 64))
        }
        XCTAssertEqual(try segment.readClusterState(), good)
    }

    func testClusterState_readerNeverSeesATornRecord_whileAWriterRewritesRapidly() throws {
        let segment = try makeSegment()
        let reader = try SharedSegment.attach(name: segment.name)
        let maxMembers = segment.layout.maxMembers
        let stop = StopFlag()
        let writerDone = DispatchSemaphore(value: 0)
        let published = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        published.initialize(to: 0)
        defer { published.deallocate() }
        let counter = SendablePointer(published)
        Thread.detachNewThread {
            var k: UInt64 = 1
            while !stop.isSet {
                try? segment.publishClusterState(SegmentClusterStateTests.uniformState(k, maxMembers: maxMembers))
                pgr_atomic_store_u64(counter.pointer, k)
                k += 1
            }
            writerDone.signal()
        }
        var reads = 0
        var distinct = Set<UInt64>()
        let deadline = pgr_monotonic_ms() + 2_000
        while pgr_monotonic_ms() < deadline || distinct.count < 100 {
            let state = try reader.readClusterState()
            if !isUniform(state, maxMembers: maxMembers) {
                XCTFail("torn read: \(state)")
                break
            }
            distinct.insert(state.term)
            reads += 1
            if pgr_monotonic_ms() > deadline + 20_000 { break }
        }
        stop.set()
        XCTAssertEqual(writerDone.wait(timeout: .now() + 10), .success)
        XCTAssertGreaterThan(pgr_atomic_load_u64(published), 100, "the writer made progress")
        XCTAssertGreaterThanOrEqual(distinct.count, 100, "the reader saw the writer's progress (\(reads) reads)")
    }

    func testClusterState_writerKilledMidWrite_readersKeepTheLastCompleteState_andARestartedWriterRecovers() throws {
        let consensus = try makeSegment()
        let reader = try SharedSegment.attach(name: consensus.name)
        let a = ClusterStateSnapshot(term: 1, leaderId: 1, role: .leader, members: [ClusterMember(id: 1, address: "a:1")])
        try consensus.publishClusterState(a)

        // A writer dies half-way through the next publish: the copy it wrote is torn, its sequence odd.
        consensus.clusterLatch.abandonWrite(scribble: 0xAB)
        XCTAssertEqual(try reader.readClusterState(), a, "readers get the last complete state, at once")

        // The restarted consensus (a new mapping) just publishes again.
        let restarted = try SharedSegment.attach(name: consensus.name)
        let b = ClusterStateSnapshot(term: 2, leaderId: 3, role: .follower)
        try restarted.publishClusterState(b)
        XCTAssertEqual(try reader.readClusterState(), b)

        // Dying on both copies in turn changes nothing either.
        restarted.clusterLatch.abandonWrite(scribble: 0xCD)
        XCTAssertEqual(try reader.readClusterState(), b)
        let c = ClusterStateSnapshot(term: 3)
        try restarted.publishClusterState(c)
        restarted.clusterLatch.abandonWrite(scribble: 0xEF)
        XCTAssertEqual(try reader.readClusterState(), c)
        let d = ClusterStateSnapshot(term: 4, members: [ClusterMember(id: 8, address: "d:8")])
        try restarted.publishClusterState(d)
        XCTAssertEqual(try reader.readClusterState(), d)
    }
}

/// A raw pointer handed to another thread (the pointee is only touched atomically).
private struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt64>
    init(_ pointer: UnsafeMutablePointer<UInt64>) { self.pointer = pointer }
}

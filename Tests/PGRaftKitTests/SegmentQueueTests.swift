import CShims
import Foundation
import XCTest

@testable import PGRaftKit
import PGRaftTestSupport

#if canImport(Glibc)
import Glibc
#endif

final class SegmentQueueTests: SegmentTestCase {
    func testQueue_deliversInFifoOrderWithAllFields() throws {
        let segment = try makeSegment()
        let consumer = try SharedSegment.attach(name: segment.name)
        XCTAssertNil(consumer.dequeue())
        let before = UInt64(pgr_wall_ms())
        let first = try segment.enqueue(type: .kvPut, payload: Array("key=value".utf8))
        let second = try segment.enqueue(type: .transferLeader, payload: Data([0, 1, 2]))
        let third = try segment.enqueue(type: .initCluster)
        XCTAssertLessThan(first, second)
        XCTAssertLessThan(second, third)
        XCTAssertEqual(segment.commandQueueInfo.depth, 3)

        let a = try XCTUnwrap(consumer.dequeue())
        XCTAssertEqual(a.id, first)
        XCTAssertEqual(a.type, .kvPut)
        XCTAssertEqual(a.payload, Array("key=value".utf8))
        XCTAssertEqual(a.producerPid, getpid())
        XCTAssertGreaterThanOrEqual(a.timestampMs, before)
        let b = try XCTUnwrap(consumer.dequeue())
        XCTAssertEqual(b.id, second)
        XCTAssertEqual(b.type, .transferLeader)
        XCTAssertEqual(b.payload, [0, 1, 2])
        let c = try XCTUnwrap(consumer.dequeue())
        XCTAssertEqual(c.id, third)
        XCTAssertEqual(c.type, .initCluster)
        XCTAssertEqual(c.payload, [])
        XCTAssertNil(consumer.dequeue())
        XCTAssertEqual(segment.commandQueueInfo.consumerPid, getpid())
    }

    func testQueue_full_throwsQueueFull_untilTheConsumerCatchesUp() throws {
        let segment = try makeSegment(layout: SegmentLayout(queueCapacity: 4))
        for index in 0..<4 { try segment.enqueue(type: .logAppend, payload: [UInt8(index)]) }
        XCTAssertThrowsError(try segment.enqueue(type: .logAppend, payload: [4])) { error in
            XCTAssertEqual(error as? SegmentError, .queueFull(capacity: 4))
            XCTAssertTrue("\(error)".contains("full"))
        }
        XCTAssertEqual(segment.commandQueueInfo.depth, 4)
        XCTAssertEqual(segment.dequeue()?.payload, [0])
        try segment.enqueue(type: .logAppend, payload: [5])
        XCTAssertEqual((0..<4).compactMap { _ in segment.dequeue()?.payload.first }, [1, 2, 3, 5])
        XCTAssertEqual(segment.commandQueueInfo.lockHolderPid, 0, "a failed enqueue releases the lock")
    }

    func testQueue_payloadTooLarge_throwsAndQueuesNothing() throws {
        let segment = try makeSegment(layout: SegmentLayout(payloadCapacity: 16))
        XCTAssertThrowsError(try segment.enqueue(type: .kvPut, payload: [UInt8](repeating: 1, count: 17))) { error in
            XCTAssertEqual(error as? SegmentError, .payloadTooLarge(size: 17, limit: 16))
            XCTAssertTrue("\(error)".contains("17 bytes"))
        }
        XCTAssertEqual(segment.commandQueueInfo.depth, 0)
        let id = try segment.enqueue(type: .kvPut, payload: [UInt8](repeating: 2, count: 16))
        let command = try XCTUnwrap(segment.dequeue())
        XCTAssertEqual(command.id, id)
        XCTAssertEqual(command.payload, [UInt8](repeating: 2, count: 16), "a payload of exactly the capacity fits")
    }

    func testQueue_idsAreNeverReusedAcrossWraparound() throws {
        let segment = try makeSegment(layout: SegmentLayout(queueCapacity: 4))
        var seen = Set<UInt64>()
        var last: UInt64 = 0
        for round in 0..<100 {
            let batch = round % 4 + 1
            for _ in 0..<batch { try segment.enqueue(type: .logAppend, payload: [UInt8(round)]) }
            for _ in 0..<batch {
                let command = try XCTUnwrap(segment.dequeue())
                XCTAssertGreaterThan(command.id, last)
                XCTAssertTrue(seen.insert(command.id).inserted, "id \(command.id) reused")
                last = command.id
            }
        }
        XCTAssertEqual(seen.count, 250)
        XCTAssertEqual(segment.commandQueueInfo.nextId, last + 1)
    }

    func testQueue_concurrentProducerThreads_exactlyOnceInProducerOrder() throws {
        let segment = try makeSegment(layout: SegmentLayout(queueCapacity: 32))
        let producers = 4
        let count = 2_000
        let group = DispatchGroup()
        for producer in 0..<producers {
            DispatchQueue.global().async(group: group) {
                for sequence in 0..<count {
                    let payload = SegmentStress.producerPayload(producerId: producer, sequence: sequence)
                    while (try? segment.enqueue(type: .logAppend, payload: payload)) == nil { sched_yield() }
                }
            }
        }
        XCTAssertEqual(
            try SegmentStress.consumeAndVerify(segment: segment, producers: producers, countPerProducer: count, timeoutMs: 60_000),
            producers * count)
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
    }

    func testQueue_lockHeldByAStoppedHolder_timesOutWithAClearError() throws {
        let segment = try makeSegment()
        try segment.lockQueue()
        let outcome = DispatchQueue.global().sync { () -> SegmentError? in
            do throws(SegmentError) {
                try segment.lockQueue(timeoutMs: 100)
                segment.unlockQueue()
                return nil
            } catch {
                return error
            }
        }
        segment.unlockQueue()
        XCTAssertEqual(outcome, .lockTimeout(name: segment.name, holderPid: getpid(), waitedMs: 100))
        XCTAssertTrue("\(outcome.map { "\($0)" } ?? "")".contains("stopped"))
        XCTAssertNoThrow(try segment.enqueue(type: .kvPut))
    }

    // MARK: - Command status

    func testCommandStatus_roundTripsBetweenMappings() throws {
        let consensus = try makeSegment()
        let client = try SharedSegment.attach(name: consensus.name)
        let id = try client.enqueue(type: .kvPut, payload: [1])
        XCTAssertNil(client.commandStatus(id: id), "nothing published yet")
        XCTAssertTrue(consensus.setCommandStatus(id: id, status: .pending))
        XCTAssertEqual(client.commandStatus(id: id)?.status, .pending)
        XCTAssertEqual(client.commandStatus(id: id)?.completedAtMs, 0)
        let before = UInt64(pgr_wall_ms())
        XCTAssertTrue(consensus.setCommandStatus(id: id, status: .completed, resultIndex: 41, resultTerm: 3))
        let done = try XCTUnwrap(client.commandStatus(id: id))
        XCTAssertEqual(done.status, .completed)
        XCTAssertEqual(done.resultIndex, 41)
        XCTAssertEqual(done.resultTerm, 3)
        XCTAssertEqual(done.errorMessage, "")
        XCTAssertGreaterThanOrEqual(done.completedAtMs, before)

        let failed = CommandStatusRecord(
            id: id + 1, status: .failed, errorMessage: "not leader, leader is 2" + String(repeating: "!", count: 300),
            completedAtMs: 5)
        XCTAssertTrue(consensus.setCommandStatus(failed))
        let read = try XCTUnwrap(client.commandStatus(id: id + 1))
        XCTAssertEqual(read.status, .failed)
        XCTAssertEqual(read.completedAtMs, 5)
        XCTAssertEqual(read.errorMessage.utf8.count, 256)
        XCTAssertTrue(read.errorMessage.hasPrefix("not leader, leader is 2"))
        XCTAssertNil(client.commandStatus(id: 0))
        XCTAssertFalse(consensus.setCommandStatus(id: 0, status: .pending))
    }

    func testCommandStatus_reusedSlot_readsAsNil_andOldIdCannotOverwriteNewer() throws {
        let segment = try makeSegment(layout: SegmentLayout(statusCapacity: 8))
        XCTAssertTrue(segment.setCommandStatus(id: 3, status: .completed, resultIndex: 1))
        XCTAssertTrue(segment.setCommandStatus(id: 11, status: .processing))  // same slot (11 % 8 == 3)
        XCTAssertNil(segment.commandStatus(id: 3), "the slot now belongs to a newer command")
        XCTAssertEqual(segment.commandStatus(id: 11)?.status, .processing)
        XCTAssertFalse(segment.setCommandStatus(id: 3, status: .failed), "a stale id must not clobber a newer one")
        XCTAssertEqual(segment.commandStatus(id: 11)?.status, .processing)
        XCTAssertNil(segment.commandStatus(id: 19), "a newer id than the slot holds is not known yet")
    }
}

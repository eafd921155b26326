import Foundation
import PGRaftKit
import Testing
@testable import PGRaftStorage
import PGRaftTestSupport
import RaftCore
import PGRaftStorageProtocol

/// The storage side of the protocol served in-process over a real Unix socket.
final class EndpointHarness: @unchecked Sendable {
    let dir = TemporaryDirectory("endpoint")
    let server: StorageTestServer
    let engine: LogEngine
    let endpoint: StorageEndpoint
    let finished = DispatchSemaphore(value: 0)

    init(segmentBytes: Int = 64 * 1024 * 1024) throws {
        server = try StorageTestServer(path: dir.path + "/consensus.sock")
        engine = try openEngine(dir, segmentBytes: segmentBytes)
        endpoint = StorageEndpoint(service: StorageService(engine: engine), logger: quietLogger)
        let path = server.path
        Thread.detachNewThread { [endpoint, finished] in
            try? endpoint.run(socketPath: path)
            finished.signal()
        }
    }

    func stop() {
        endpoint.stop()
        finished.wait()
        server.close()
        engine.close()
    }
}

/// The next index to hand out, shared by writer threads.
final class IndexAllocator: @unchecked Sendable {
    private let lock = NSLock()
    private var next: UInt64
    private(set) var acknowledged: [UInt64] = []

    init(next: UInt64) { self.next = next }

    func take(_ count: UInt64) -> UInt64 {
        lock.withLock {
            defer { next += count }
            return next
        }
    }

    func acknowledge(_ last: UInt64) { lock.withLock { acknowledged.append(last) } }
    var maxAcknowledged: UInt64 { lock.withLock { acknowledged.max() ?? 0 } }
    var ackCount: Int { lock.withLock { acknowledged.count } }
}

@Suite struct StorageEndpointTests {
    @Test func concurrentWritersShareFsyncsAndEveryAppendIsPersisted() throws {
        let harness = try EndpointHarness()
        defer { harness.stop() }
        let client = try harness.server.accept(timeout: 10)
        defer { client.close() }
        let allocator = IndexAllocator(next: 1)
        let group = DispatchGroup()
        let writers = 32
        let perWriter = 20
        let failures = IndexAllocator(next: 0)
        for _ in 0..<writers {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                for _ in 0..<perWriter {
                    do {
                        var first: UInt64 = 0
                        let ticket = try client.submit {
                            first = allocator.take(2)
                            return .append(entries(first...(first + 1)))
                        }
                        let reply = try ticket.wait(timeout: 30)
                        if reply.status == .persisted { allocator.acknowledge(first + 1) } else { failures.acknowledge(first) }
                    } catch {
                        failures.acknowledge(0)
                    }
                }
            }
        }
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(failures.ackCount == 0)
        #expect(allocator.ackCount == writers * perWriter)
        let total = UInt64(writers * perWriter * 2)
        #expect(try client.bounds().last == total)
        #expect(try client.entries(from: 1, to: total + 1) == entries(1...total))
        let stats = try client.stats()
        #expect(stats.syncs < UInt64(writers * perWriter) / 2, "group commit: \(stats.syncs) syncs for \(writers * perWriter) appends")
    }

    @Test(.timeLimit(.minutes(5))) func writerTasksAwaitTheirOwnRepliesAndShareFsyncs() async throws {
        let harness = try EndpointHarness()
        defer { harness.stop() }
        let client = try harness.server.accept(timeout: 10)
        defer { client.close() }
        let allocator = IndexAllocator(next: 1)
        let writers = 64
        let perWriter = 20
        // The 64 tasks run on a thread of their own: the shared pool may be held for minutes by the
        // blocking calls of tests running alongside.
        let executor = DedicatedThreadExecutor()
        defer { executor.stop() }
        let statuses = try await withTaskExecutorPreference(executor) {
            try await withThrowingTaskGroup(of: [StorageStatus].self) { group in
                for _ in 0..<writers {
                    group.addTask {
                        var statuses: [StorageStatus] = []
                        for _ in 0..<perWriter {
                            let ticket = try client.submit {
                                let index = allocator.take(1)
                                return .append(entries(index...index))
                            }
                            statuses.append(try await ticket.reply().status)
                        }
                        return statuses
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        #expect(statuses.count == writers * perWriter)
        #expect(statuses.allSatisfy { $0 == .persisted })
        let total = UInt64(writers * perWriter)
        #expect(try client.bounds().last == total)
        #expect(try client.entries(from: 1, to: total + 1) == entries(1...total))
        let syncs = try client.stats().syncs
        #expect(syncs < total / 2, "group commit: \(syncs) syncs for \(total) appends")
    }

    @Test(.timeLimit(.minutes(5))) func aTaskAwaitingAReplyTimesOutThenLearnsThatTheConnectionClosed() async throws {
        let dir = TemporaryDirectory("endpoint-closed")
        let server = try StorageTestServer(path: dir.path + "/consensus.sock")
        defer { server.close() }
        // A peer that takes requests and never answers them.
        let silentPeer = try UnixSocket.connect(path: server.path)
        let client = try server.accept(timeout: 10)
        defer { client.close() }
        let executor = DedicatedThreadExecutor()
        defer { executor.stop() }
        let ticket = try client.submit(.bounds)
        let early = await Self.failure(of: ticket, timeout: 0.2)
        guard case .timedOut = early else {
            Issue.record("expected a time-out, got \(String(describing: early))")
            return
        }
        // On a thread of its own, so that it runs even while the shared pool is busy.
        let waiter = Task(executorPreference: executor) { await Self.failure(of: ticket, timeout: 60) }
        // Close only once the task is suspended, so that the close is what wakes it.
        #expect(waitUntil(timeout: 30) { ticket.hasWaitingTask })
        close(silentPeer)
        #expect(await waiter.value == .connectionClosed)
    }

    /// How awaiting `ticket`'s reply failed (nil when a reply came).
    static func failure(of ticket: StorageTicket, timeout: Double) async -> StorageClientError? {
        do throws(StorageClientError) {
            _ = try await ticket.reply(timeout: timeout)
            return nil
        } catch {
            return error
        }
    }

    @Test func repliesReachTheirTicketsWhoeverReadsThem() throws {
        let harness = try EndpointHarness()
        defer { harness.stop() }
        let client = try harness.server.accept(timeout: 10)
        defer { client.close() }
        try client.append(entries(1...200))
        // Replies far larger than the socket buffer, and nobody waiting: storage blocks sending
        // them. A request larger than the buffer goes out all the same, since its sender reads
        // the replies meanwhile.
        let reads = try client.submitAll(count: 40) { .entries(from: 1, to: 201, maxBytes: .max) }
        let big = entries(201...400, maxLength: 10_000)
        #expect(try client.submit(.append(big)).wait(timeout: 30).result == .appended(lastIndex: 400))
        // Waited for newest first: the replies are all there already, read by the sender.
        for ticket in reads.reversed() {
            #expect(try ticket.wait(timeout: 30).result == .entries(entries(1...200)))
        }
        // A ticket nobody waits for completes when asked whether it did.
        let unwaited = try client.submit(.bounds)
        #expect(waitUntil(timeout: 10) { unwaited.isComplete })
        #expect(try unwaited.wait(timeout: 0).result == .bounds(firstIndex: 1, lastIndex: 400, lastTerm: 1))
    }

    @Test func everyOperationWorksOverTheSocket() throws {
        let harness = try EndpointHarness(segmentBytes: 4096)
        defer { harness.stop() }
        let client = try harness.server.accept(timeout: 10)
        defer { client.close() }
        #expect(try client.append(entries(1...100, term: 2)) == 100)
        #expect(try client.call(.saveHardState(HardState(term: 2, vote: 1, commit: 90))) == .saved)
        #expect(try client.call(.term(index: 50)) == .term(2))
        let snapshot = StoredSnapshot(index: 60, term: 2, membership: [1, 2, 3], data: [7, 7, 7])
        #expect(try client.call(.saveSnapshot(snapshot)) == .saved)
        #expect(try client.call(.compact(upTo: 60)) == .saved)
        #expect(try client.call(.loadSnapshot) == .snapshot(snapshot))
        let state = try client.loadState()
        #expect(state == StorageState(hardState: HardState(term: 2, vote: 1, commit: 90), firstIndex: 61, lastIndex: 100, lastTerm: 2, snapshotIndex: 60, snapshotTerm: 2))
        #expect(throws: StorageClientError.rejected(.compacted, StorageError.compacted(index: 10, firstIndex: 61).description)) {
            try client.entries(from: 10, to: 20)
        }
        #expect(throws: StorageClientError.self) { try client.append([entry(200, term: 2)]) }
        #expect(try client.bounds().last == 100)
    }

    @Test func malformedRequestGetsAnErrorReplyAndTheConnectionGoesOn() throws {
        let harness = try EndpointHarness()
        defer { harness.stop() }
        let client = try harness.server.accept(timeout: 10)
        defer { client.close() }
        client.sendRaw(Frame(type: StorageFrameType.request, payload: [1, 2, 3, 4, 5, 6, 7, 8, 99, 1]).encoded())
        client.sendRaw(Frame(type: 0x7777, payload: []).encoded())
        #expect(try client.append(entries(1...3)) == 3)
    }

    @Test func brokenFramingClosesTheConnectionAndStorageConnectsAgain() throws {
        let harness = try EndpointHarness()
        defer { harness.stop() }
        let first = try harness.server.accept(timeout: 10)
        #expect(try first.append(entries(1...5)) == 5)
        first.sendRaw([0, 0, 0, 9, 42, 0, 1, 0, 0, 0, 0, 0])  // protocol version 42
        #expect(waitUntil(timeout: 10) { !first.isOpen })
        first.close()
        let second = try harness.server.accept(timeout: 10)
        defer { second.close() }
        #expect(try second.bounds().last == 5)
    }
}

import Testing
@testable import PGRaftStorage
import PGRaftStorageProtocol

@Suite struct StorageServiceTests {
    @Test func oneBatchOfAppendsIsMadeDurableByOneSyncBeforeAnyReply() throws {
        let dir = TemporaryDirectory("service")
        let engine = try openEngine(dir)
        let service = StorageService(engine: engine)
        let before = engine.syncCount
        let requests = (0..<10).map { StorageRequest(id: UInt64(100 + $0), operation: .append([entry(UInt64($0) + 1)])) }
        let replies = service.process(requests)
        #expect(engine.syncCount == before + 1)
        #expect(!engine.hasUnsyncedChanges)
        #expect(replies.map(\.id) == requests.map(\.id))
        #expect(replies.allSatisfy { $0.status == .persisted })
        #expect(replies.last?.result == .appended(lastIndex: 10))
    }

    @Test func readsAndRefusalsInABatchAreAnsweredInOrderWithTheirStatus() throws {
        let dir = TemporaryDirectory("service")
        let service = StorageService(engine: try openEngine(dir))
        let replies = service.process([
            StorageRequest(id: 1, operation: .append(entries(1...3))),
            StorageRequest(id: 2, operation: .entries(from: 2, to: 4, maxBytes: .max)),
            StorageRequest(id: 3, operation: .append([entry(9)])),
            StorageRequest(id: 4, operation: .term(index: 99)),
            StorageRequest(id: 5, operation: .bounds),
        ])
        #expect(replies.map(\.status) == [.persisted, .ok, .invalidRequest, .unavailable, .ok])
        #expect(replies[1].result == .entries(entries(2...3)))
        #expect(replies[4].result == .bounds(firstIndex: 1, lastIndex: 3, lastTerm: 1))
    }

    @Test func aBatchOfOnlyReadsDoesNotSync() throws {
        let dir = TemporaryDirectory("service")
        let engine = try openEngine(dir)
        let service = StorageService(engine: engine)
        _ = service.process([StorageRequest(id: 1, operation: .append(entries(1...3)))])
        let before = engine.syncCount
        _ = service.process([StorageRequest(id: 2, operation: .bounds), StorageRequest(id: 3, operation: .loadState)])
        #expect(engine.syncCount == before)
    }
}

import PGRaftStorageProtocol
/// Applies batches of requests to a `LogEngine` with group commit: every request of the batch is
/// executed in order, then one `sync()` makes all their writes durable, and only then are the
/// replies produced. A caller that gathers every request that arrived during the previous sync into
/// the next batch gets one fsync for all of them, and each "persisted" still follows its own fsync.
public final class StorageService {
    /// The engine.
    public let engine: LogEngine
    /// The most entry data one `entries` reply carries, so that it fits a frame (16 MiB).
    public static let maxReplyBytes = 8 * 1024 * 1024

    /// A service over `engine`.
    public init(engine: LogEngine) {
        self.engine = engine
    }

    /// Whether the engine failed (an I/O error); the process must exit and recover.
    public var failure: StorageError? {
        do {
            try engine.checkHealthy()
            return nil
        } catch {
            return error
        }
    }

    /// Executes `requests` in order, syncs once, and returns one reply per request, in order.
    public func process(_ requests: [StorageRequest]) -> [StorageReply] {
        var replies: [StorageReply] = []
        replies.reserveCapacity(requests.count)
        for request in requests {
            replies.append(execute(request))
        }
        if engine.hasUnsyncedChanges {
            do {
                try engine.sync()
            } catch {
                for i in replies.indices where replies[i].status == .persisted {
                    replies[i].status = .failed
                    replies[i].result = .error(error.description)
                }
            }
        }
        return replies
    }

    private func execute(_ request: StorageRequest) -> StorageReply {
        let operation = request.operation
        func reply(_ result: StorageResult) -> StorageReply {
            StorageReply(id: request.id, status: operation.isMutation ? .persisted : .ok, operation: operation.code, result: result)
        }
        do throws(StorageError) {
            switch operation {
            case .append(let entries):
                return reply(.appended(lastIndex: try engine.append(entries)))
            case .entries(let from, let to, let maxBytes):
                return reply(.entries(try engine.entries(from: from, to: to, maxBytes: Int(clamping: min(maxBytes, UInt64(Self.maxReplyBytes))))))
            case .bounds:
                return reply(.bounds(firstIndex: engine.firstIndex, lastIndex: engine.lastIndex, lastTerm: engine.lastTerm))
            case .term(let index):
                return reply(.term(try engine.term(at: index)))
            case .saveHardState(let state):
                try engine.saveHardState(state)
                return reply(.saved)
            case .loadState:
                try engine.checkHealthy()
                return reply(
                    .state(
                        StorageState(
                            hardState: engine.hardState, firstIndex: engine.firstIndex, lastIndex: engine.lastIndex,
                            lastTerm: engine.lastTerm, snapshotIndex: engine.snapshotIndex, snapshotTerm: engine.snapshotTerm)))
            case .saveSnapshot(let snapshot):
                try engine.saveSnapshot(snapshot)
                return reply(.saved)
            case .loadSnapshot:
                return reply(.snapshot(try engine.loadSnapshot()))
            case .compact(let index):
                try engine.compact(upTo: index)
                return reply(.saved)
            case .stats:
                return reply(
                    .stats(
                        StorageStats(
                            syncs: engine.syncCount, appended: engine.appendedCount, segments: UInt64(engine.segmentCount),
                            indexBytes: UInt64(engine.indexMemoryBytes))))
            }
        } catch {
            return StorageReply(id: request.id, status: Self.status(of: error), operation: operation.code, result: .error(error.description))
        }
    }

    /// The status that reports `error`.
    static func status(of error: StorageError) -> StorageStatus {
        switch error {
        case .invalidRequest: return .invalidRequest
        case .compacted: return .compacted
        case .unavailable: return .unavailable
        case .corrupt, .io, .failed: return .failed
        }
    }
}

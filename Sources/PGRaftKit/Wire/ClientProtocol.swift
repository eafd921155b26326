/// Frame types between client-side components (the api) and consensus on `<run_dir>/consensus.sock`.
/// A client greets with `hello`, then sends requests; consensus answers each with one reply
/// carrying the request's id, in whatever order they complete.
public enum ClientFrameType {
    /// Client → consensus, first frame: "I serve clients"; no payload.
    public static let hello: UInt16 = 0x0401
    /// Client → consensus: a `ClientRequest`.
    public static let request: UInt16 = 0x0402
    /// Consensus → client: a `ClientReply`.
    public static let reply: UInt16 = 0x0403
}

/// What a client asks of the replicated state machine or the membership.
public enum ClientOperation: Sendable, Equatable {
    /// Set `key` to `value` through the log.
    case put(key: String, value: [UInt8])
    /// Remove `key` through the log.
    case delete(key: String)
    /// Read `key`; linearizable through ReadIndex unless `linearizable` is false (a local, possibly stale read).
    case get(key: String, linearizable: Bool)
    /// Every key starting with `prefix`, sorted.
    case list(prefix: String, linearizable: Bool)
    /// Append a record to the replicated command log.
    case logAppend(data: [UInt8])
    /// The command-log record with sequence number `sequence`.
    case logGet(sequence: UInt64, linearizable: Bool)
    /// The command log's size and bounds.
    case logStats
    /// Drop the command-log records up to and including sequence `through`, through the log.
    case logTrim(through: UInt64)
    /// Add node `id`, reachable at `address` ("host:port"), as a learner; it is promoted to voter
    /// once it has caught up.
    case addNode(id: UInt64, address: String)
    /// Remove node `id` from the membership (the leader hands leadership over first).
    case removeNode(id: UInt64)
    /// Hand leadership to node `id` (0: to the most up-to-date other voter).
    case transferLeader(id: UInt64)
    /// Consensus's own measurements: commit latency and messages by type.
    case metrics

    var code: UInt8 {
        switch self {
        case .put: return 1
        case .delete: return 2
        case .get: return 3
        case .list: return 4
        case .logAppend: return 5
        case .logGet: return 6
        case .logStats: return 7
        case .addNode: return 8
        case .removeNode: return 9
        case .transferLeader: return 10
        case .metrics: return 11
        case .logTrim: return 12
        }
    }
}

/// One request: an id chosen by the client (unique per connection) and the operation.
public struct ClientRequest: Sendable, Equatable {
    /// Matches the reply to the request.
    public var id: UInt64
    /// What is asked.
    public var operation: ClientOperation

    /// A request.
    public init(id: UInt64, operation: ClientOperation) {
        self.id = id
        self.operation = operation
    }

    /// The frame payload.
    public func encoded() -> [UInt8] {
        var w = WireWriter()
        w.u64(id)
        w.u8(operation.code)
        switch operation {
        case .put(let key, let value):
            w.string(key)
            w.blob(value)
        case .delete(let key):
            w.string(key)
        case .get(let key, let linearizable), .list(let key, let linearizable):
            w.string(key)
            w.u8(linearizable ? 1 : 0)
        case .logAppend(let data):
            w.blob(data)
        case .logGet(let sequence, let linearizable):
            w.u64(sequence)
            w.u8(linearizable ? 1 : 0)
        case .addNode(let id, let address):
            w.u64(id)
            w.string(address)
        case .removeNode(let id), .transferLeader(let id):
            w.u64(id)
        case .logTrim(let through):
            w.u64(through)
        case .logStats, .metrics:
            break
        }
        return w.bytes
    }

    /// Decodes a payload; anything but exactly one request is an error.
    public static func decode(_ payload: [UInt8]) throws(WireDecodeError) -> ClientRequest {
        var r = WireReader(payload)
        let id = try r.u64()
        let code = try r.u8()
        let operation: ClientOperation
        switch code {
        case 1: operation = .put(key: try r.string(), value: try r.blob(limit: Frame.defaultMaxPayload))
        case 2: operation = .delete(key: try r.string())
        case 3: operation = .get(key: try r.string(), linearizable: try r.u8() != 0)
        case 4: operation = .list(prefix: try r.string(), linearizable: try r.u8() != 0)
        case 5: operation = .logAppend(data: try r.blob(limit: Frame.defaultMaxPayload))
        case 6: operation = .logGet(sequence: try r.u64(), linearizable: try r.u8() != 0)
        case 7: operation = .logStats
        case 8: operation = .addNode(id: try r.u64(), address: try r.string())
        case 9: operation = .removeNode(id: try r.u64())
        case 10: operation = .transferLeader(id: try r.u64())
        case 11: operation = .metrics
        case 12: operation = .logTrim(through: try r.u64())
        default: throw WireDecodeError("unknown client operation \(code)")
        }
        try r.expectEnd()
        return ClientRequest(id: id, operation: operation)
    }
}

/// How a request ended.
public enum ClientStatus: UInt8, Sendable, Equatable {
    /// Done; the result holds the answer.
    case ok = 0
    /// The key or record does not exist.
    case notFound = 1
    /// No leader is known (an election is under way, or this node is cut off): retry.
    case noLeader = 2
    /// Consensus cannot serve yet (it is starting, or storage is not connected): retry.
    case unavailable = 3
    /// The request is invalid (the message says why); retrying will not help.
    case invalid = 4
    /// No answer in time; a write's outcome is unknown (it may still commit).
    case timedOut = 5
    /// The request failed (the message says why).
    case failed = 6
}

/// One key-value record.
public struct ClientKeyRecord: Sendable, Equatable {
    /// The key.
    public var key: String
    /// The value's bytes.
    public var value: [UInt8]
    /// The store revision that created the key.
    public var createRevision: UInt64
    /// The store revision of its last change.
    public var modRevision: UInt64
    /// How many times it was written since it was created.
    public var version: UInt64

    /// A record.
    public init(key: String, value: [UInt8], createRevision: UInt64, modRevision: UInt64, version: UInt64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
    }
}

/// Consensus's measurements for `/metrics`.
public struct ConsensusMetrics: Sendable, Equatable {
    /// Upper bounds, in milliseconds, of the commit latency histogram's buckets (the last is +Inf).
    public static let latencyBucketsMs: [Double] = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500]
    /// Proposals of this node whose commit latency fell at or under each bound (cumulative), then the total.
    public var latencyCounts: [UInt64]
    /// Sum of those latencies in milliseconds.
    public var latencySumMs: Double
    /// Raft messages sent, by message kind name (e.g. "append").
    public var sentByKind: [(kind: String, count: UInt64)]
    /// Raft messages received, by message kind name.
    public var receivedByKind: [(kind: String, count: UInt64)]

    /// Measurements.
    public init(latencyCounts: [UInt64], latencySumMs: Double, sentByKind: [(kind: String, count: UInt64)], receivedByKind: [(kind: String, count: UInt64)]) {
        self.latencyCounts = latencyCounts
        self.latencySumMs = latencySumMs
        self.sentByKind = sentByKind
        self.receivedByKind = receivedByKind
    }

    /// Equal when every figure is.
    public static func == (a: ConsensusMetrics, b: ConsensusMetrics) -> Bool {
        a.latencyCounts == b.latencyCounts && a.latencySumMs == b.latencySumMs
            && a.sentByKind.elementsEqual(b.sentByKind, by: { $0 == $1 })
            && a.receivedByKind.elementsEqual(b.receivedByKind, by: { $0 == $1 })
    }
}

/// The answer to one request.
public enum ClientResult: Sendable, Equatable {
    /// Nothing more than the status.
    case none
    /// A write committed and applied: the store revision it produced (0 when it changed nothing,
    /// as a delete of a missing key) and its place in the log.
    case written(revision: UInt64, index: UInt64, term: UInt64)
    /// One record, and the store revision the read saw.
    case record(ClientKeyRecord, revision: UInt64)
    /// Records in key order, and the store revision the read saw.
    case records([ClientKeyRecord], revision: UInt64)
    /// A command-log record: its sequence number, its place in the Raft log, its data.
    case logRecord(sequence: UInt64, index: UInt64, term: UInt64, data: [UInt8])
    /// The command log's record count, data bytes, first and last sequence, and last Raft index.
    case logStats(count: UInt64, bytes: UInt64, firstSequence: UInt64, lastSequence: UInt64, lastIndex: UInt64)
    /// A trim committed and applied: the records up to and including `through` are gone, and the
    /// trim's place in the log.
    case logTrimmed(through: UInt64, index: UInt64, term: UInt64)
    /// Consensus's measurements.
    case metrics(ConsensusMetrics)
    /// Why the request did not succeed.
    case message(String)
}

/// The reply to request `id`.
public struct ClientReply: Sendable, Equatable {
    /// The request's id.
    public var id: UInt64
    /// How it ended.
    public var status: ClientStatus
    /// The leader as this node knows it (0: none), so a client can tell where writes go.
    public var leader: UInt64
    /// The answer.
    public var result: ClientResult

    /// A reply.
    public init(id: UInt64, status: ClientStatus, leader: UInt64, result: ClientResult) {
        self.id = id
        self.status = status
        self.leader = leader
        self.result = result
    }

    /// The frame payload.
    public func encoded() -> [UInt8] {
        var w = WireWriter()
        w.u64(id)
        w.u8(status.rawValue)
        w.u64(leader)
        switch result {
        case .none:
            w.u8(0)
        case .written(let revision, let index, let term):
            w.u8(1)
            w.u64(revision)
            w.u64(index)
            w.u64(term)
        case .record(let record, let revision):
            w.u8(2)
            Self.write(record, to: &w)
            w.u64(revision)
        case .records(let records, let revision):
            w.u8(3)
            w.u32(UInt32(records.count))
            for record in records { Self.write(record, to: &w) }
            w.u64(revision)
        case .logRecord(let sequence, let index, let term, let data):
            w.u8(4)
            w.u64(sequence)
            w.u64(index)
            w.u64(term)
            w.blob(data)
        case .logStats(let count, let bytes, let first, let last, let lastIndex):
            w.u8(5)
            for value in [count, bytes, first, last, lastIndex] { w.u64(value) }
        case .metrics(let metrics):
            w.u8(6)
            w.u32(UInt32(metrics.latencyCounts.count))
            metrics.latencyCounts.forEach { w.u64($0) }
            w.u64(metrics.latencySumMs.bitPattern)
            for list in [metrics.sentByKind, metrics.receivedByKind] {
                w.u32(UInt32(list.count))
                for (kind, count) in list {
                    w.string(kind)
                    w.u64(count)
                }
            }
        case .message(let text):
            w.u8(7)
            w.string(text)
        case .logTrimmed(let through, let index, let term):
            w.u8(8)
            for value in [through, index, term] { w.u64(value) }
        }
        return w.bytes
    }

    /// Decodes a payload; anything but exactly one reply is an error.
    public static func decode(_ payload: [UInt8]) throws(WireDecodeError) -> ClientReply {
        var r = WireReader(payload)
        let id = try r.u64()
        let rawStatus = try r.u8()
        guard let status = ClientStatus(rawValue: rawStatus) else { throw WireDecodeError("unknown client status \(rawStatus)") }
        let leader = try r.u64()
        let result: ClientResult
        let tag = try r.u8()
        switch tag {
        case 0: result = .none
        case 1: result = .written(revision: try r.u64(), index: try r.u64(), term: try r.u64())
        case 2: result = .record(try readRecord(&r), revision: try r.u64())
        case 3:
            let count = Int(try r.u32())
            guard count <= r.remaining else { throw WireDecodeError("record count \(count) exceeds the payload") }
            var records: [ClientKeyRecord] = []
            for _ in 0..<count { records.append(try readRecord(&r)) }
            result = .records(records, revision: try r.u64())
        case 4: result = .logRecord(sequence: try r.u64(), index: try r.u64(), term: try r.u64(), data: try r.blob(limit: Frame.defaultMaxPayload))
        case 5:
            result = .logStats(count: try r.u64(), bytes: try r.u64(), firstSequence: try r.u64(), lastSequence: try r.u64(), lastIndex: try r.u64())
        case 6:
            let buckets = Int(try r.u32())
            guard buckets <= 64 else { throw WireDecodeError("\(buckets) latency buckets") }
            var counts: [UInt64] = []
            for _ in 0..<buckets { counts.append(try r.u64()) }
            let sum = Double(bitPattern: try r.u64())
            var lists: [[(kind: String, count: UInt64)]] = []
            for _ in 0..<2 {
                let n = Int(try r.u32())
                guard n <= 64 else { throw WireDecodeError("\(n) message kinds") }
                var list: [(kind: String, count: UInt64)] = []
                for _ in 0..<n { list.append((try r.string(limit: 64), try r.u64())) }
                lists.append(list)
            }
            result = .metrics(ConsensusMetrics(latencyCounts: counts, latencySumMs: sum, sentByKind: lists[0], receivedByKind: lists[1]))
        case 7: result = .message(try r.string())
        case 8: result = .logTrimmed(through: try r.u64(), index: try r.u64(), term: try r.u64())
        default: throw WireDecodeError("unknown client result \(tag)")
        }
        try r.expectEnd()
        return ClientReply(id: id, status: status, leader: leader, result: result)
    }

    private static func write(_ record: ClientKeyRecord, to w: inout WireWriter) {
        w.string(record.key)
        w.blob(record.value)
        w.u64(record.createRevision)
        w.u64(record.modRevision)
        w.u64(record.version)
    }

    private static func readRecord(_ r: inout WireReader) throws(WireDecodeError) -> ClientKeyRecord {
        ClientKeyRecord(
            key: try r.string(), value: try r.blob(limit: Frame.defaultMaxPayload), createRevision: try r.u64(),
            modRevision: try r.u64(), version: try r.u64())
    }
}

import PGRaftClient
import PGRaftBytes

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
        var w = ByteWriter()
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
        case .compareAndSet(let key, let expected, let value):
            w.string(key)
            w.u64(expected)
            w.blob(value)
        case .logStats, .metrics:
            break
        }
        return w.bytes
    }

    /// Decodes a payload; anything but exactly one request is an error.
    public static func decode(_ payload: [UInt8]) throws(ByteDecodeError) -> ClientRequest {
        var r = ByteReader(payload)
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
        case 13:
            operation = .compareAndSet(key: try r.string(), expectedRevision: try r.u64(), value: try r.blob(limit: Frame.defaultMaxPayload))
        default: throw ByteDecodeError("unknown client operation \(code)")
        }
        try r.expectEnd()
        return ClientRequest(id: id, operation: operation)
    }
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
        var w = ByteWriter()
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
        case .unchanged(let revision, let modRevision, let index, let term):
            w.u8(9)
            for value in [revision, modRevision, index, term] { w.u64(value) }
        }
        return w.bytes
    }

    /// Decodes a payload; anything but exactly one reply is an error.
    public static func decode(_ payload: [UInt8]) throws(ByteDecodeError) -> ClientReply {
        var r = ByteReader(payload)
        let id = try r.u64()
        let rawStatus = try r.u8()
        guard let status = ClientStatus(rawValue: rawStatus) else { throw ByteDecodeError("unknown client status \(rawStatus)") }
        let leader = try r.u64()
        let result: ClientResult
        let tag = try r.u8()
        switch tag {
        case 0: result = .none
        case 1: result = .written(revision: try r.u64(), index: try r.u64(), term: try r.u64())
        case 2: result = .record(try readRecord(&r), revision: try r.u64())
        case 3:
            let count = Int(try r.u32())
            guard count <= r.remaining else { throw ByteDecodeError("record count \(count) exceeds the payload") }
            var records: [ClientKeyRecord] = []
            for _ in 0..<count { records.append(try readRecord(&r)) }
            result = .records(records, revision: try r.u64())
        case 4: result = .logRecord(sequence: try r.u64(), index: try r.u64(), term: try r.u64(), data: try r.blob(limit: Frame.defaultMaxPayload))
        case 5:
            result = .logStats(count: try r.u64(), bytes: try r.u64(), firstSequence: try r.u64(), lastSequence: try r.u64(), lastIndex: try r.u64())
        case 6:
            let buckets = Int(try r.u32())
            guard buckets <= 64 else { throw ByteDecodeError("\(buckets) latency buckets") }
            var counts: [UInt64] = []
            for _ in 0..<buckets { counts.append(try r.u64()) }
            let sum = Double(bitPattern: try r.u64())
            var lists: [[(kind: String, count: UInt64)]] = []
            for _ in 0..<2 {
                let n = Int(try r.u32())
                guard n <= 64 else { throw ByteDecodeError("\(n) message kinds") }
                var list: [(kind: String, count: UInt64)] = []
                for _ in 0..<n { list.append((try r.string(limit: 64), try r.u64())) }
                lists.append(list)
            }
            result = .metrics(ConsensusMetrics(latencyCounts: counts, latencySumMs: sum, sentByKind: lists[0], receivedByKind: lists[1]))
        case 7: result = .message(try r.string())
        case 8: result = .logTrimmed(through: try r.u64(), index: try r.u64(), term: try r.u64())
        case 9: result = .unchanged(revision: try r.u64(), modRevision: try r.u64(), index: try r.u64(), term: try r.u64())
        default: throw ByteDecodeError("unknown client result \(tag)")
        }
        try r.expectEnd()
        return ClientReply(id: id, status: status, leader: leader, result: result)
    }

    private static func write(_ record: ClientKeyRecord, to w: inout ByteWriter) {
        w.string(record.key)
        w.blob(record.value)
        w.u64(record.createRevision)
        w.u64(record.modRevision)
        w.u64(record.version)
    }

    private static func readRecord(_ r: inout ByteReader) throws(ByteDecodeError) -> ClientKeyRecord {
        ClientKeyRecord(
            key: try r.string(), value: try r.blob(limit: Frame.defaultMaxPayload), createRevision: try r.u64(),
            modRevision: try r.u64(), version: try r.u64())
    }
}

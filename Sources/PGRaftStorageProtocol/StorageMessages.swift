import PGRaftKit
import RaftCore
import PGRaftBytes

/// One operation consensus asks of storage.
public enum StorageOperation: Sendable, Equatable {
    /// Append a batch (an index already in the log truncates it there first). Replied `persisted`.
    case append([LogEntry])
    /// Read entries `from..<to`, at most `maxBytes` of data (at least one entry).
    case entries(from: UInt64, to: UInt64, maxBytes: UInt64)
    /// First and last index, and the last term.
    case bounds
    /// The term of one index.
    case term(index: UInt64)
    /// Save the hard state. Replied `persisted`.
    case saveHardState(HardState)
    /// Everything consensus needs to start: hard state, bounds, snapshot position.
    case loadState
    /// Save a snapshot (replacing the log when it does not hold the snapshot's last entry). Replied `persisted`.
    case saveSnapshot(StoredSnapshot)
    /// Read the newest snapshot.
    case loadSnapshot
    /// Drop entries up to and including an index. Replied `persisted`.
    case compact(upTo: UInt64)
    /// Counters: syncs, entries appended, segments, index memory.
    case stats

    /// The operation's code on the wire.
    public var code: UInt8 {
        switch self {
        case .append: return 1
        case .entries: return 2
        case .bounds: return 3
        case .term: return 4
        case .saveHardState: return 5
        case .loadState: return 6
        case .saveSnapshot: return 7
        case .loadSnapshot: return 8
        case .compact: return 9
        case .stats: return 10
        }
    }

    /// Whether the operation changes the disk (its success is replied `persisted`, after fsync).
    public var isMutation: Bool {
        switch self {
        case .append, .saveHardState, .saveSnapshot, .compact: return true
        default: return false
        }
    }
}

/// A request frame's payload: `id (u64) · operation (u8) · arguments`, little-endian.
public struct StorageRequest: Sendable, Equatable {
    /// Chosen by the sender; the reply carries it back.
    public var id: UInt64
    /// What to do.
    public var operation: StorageOperation

    /// A request.
    public init(id: UInt64, operation: StorageOperation) {
        self.id = id
        self.operation = operation
    }

    /// The payload bytes.
    public func encoded() -> [UInt8] {
        var out = ByteWriter(capacity: 64)
        out.u64(id)
        out.u8(operation.code)
        switch operation {
        case .append(let entries): StorageWire.writeEntries(entries, to: &out)
        case .entries(let from, let to, let maxBytes):
            out.u64(from)
            out.u64(to)
            out.u64(maxBytes)
        case .term(let index): out.u64(index)
        case .saveHardState(let state): StorageWire.writeHardState(state, to: &out)
        case .saveSnapshot(let snapshot): StorageWire.writeSnapshot(snapshot, to: &out)
        case .compact(let index): out.u64(index)
        case .bounds, .loadState, .loadSnapshot, .stats: break
        }
        return out.bytes
    }

    /// Decodes a payload; every malformed one throws (never traps).
    public static func decode(_ payload: [UInt8]) throws(ByteDecodeError) -> StorageRequest {
        var reader = ByteReader(payload)
        let id = try reader.u64()
        let code = try reader.u8()
        let operation: StorageOperation
        switch code {
        case 1: operation = .append(try StorageWire.readEntries(&reader))
        case 2: operation = .entries(from: try reader.u64(), to: try reader.u64(), maxBytes: try reader.u64())
        case 3: operation = .bounds
        case 4: operation = .term(index: try reader.u64())
        case 5: operation = .saveHardState(try StorageWire.readHardState(&reader))
        case 6: operation = .loadState
        case 7: operation = .saveSnapshot(try StorageWire.readSnapshot(&reader))
        case 8: operation = .loadSnapshot
        case 9: operation = .compact(upTo: try reader.u64())
        case 10: operation = .stats
        default: throw ByteDecodeError("unknown storage operation \(code)")
        }
        try reader.expectEnd()
        return StorageRequest(id: id, operation: operation)
    }

    /// The id of a payload too broken to decode, when its first 8 bytes are there.
    public static func peekID(_ payload: [UInt8]) -> UInt64 {
        payload.count >= 8 ? payload.loadU64(at: 0) : 0
    }
}

/// How a request ended.
public enum StorageStatus: UInt8, Sendable, Equatable {
    /// A read succeeded.
    case ok = 0
    /// A change is on disk: the fsync covering it has returned.
    case persisted = 1
    /// The request is not valid against the log; nothing changed.
    case invalidRequest = 16
    /// The index is compacted away.
    case compacted = 17
    /// The index is past the end of the log.
    case unavailable = 18
    /// Storage failed (I/O error, corruption); it is restarting.
    case failed = 19
    /// The request's bytes could not be decoded.
    case malformed = 20
}

/// What a successful reply carries.
public enum StorageResult: Sendable, Equatable {
    /// After `append`: the last index.
    case appended(lastIndex: UInt64)
    /// After `entries`.
    case entries([LogEntry])
    /// After `bounds`.
    case bounds(firstIndex: UInt64, lastIndex: UInt64, lastTerm: UInt64)
    /// After `term`.
    case term(UInt64)
    /// After `saveHardState`, `saveSnapshot`, `compact`.
    case saved
    /// After `loadState`.
    case state(StorageState)
    /// After `loadSnapshot`: nil when there is none.
    case snapshot(StoredSnapshot?)
    /// After `stats`.
    case stats(StorageStats)
    /// After a failure: the reason, for the log.
    case error(String)
}

/// What consensus needs to start.
public struct StorageState: Sendable, Equatable {
    /// The saved hard state.
    public var hardState: HardState
    /// First index in the log.
    public var firstIndex: UInt64
    /// Last index in the log.
    public var lastIndex: UInt64
    /// Term of the last index.
    public var lastTerm: UInt64
    /// Index and term of the newest snapshot (0 when none).
    public var snapshotIndex: UInt64
    /// Term of the newest snapshot.
    public var snapshotTerm: UInt64

    /// A state.
    public init(hardState: HardState, firstIndex: UInt64, lastIndex: UInt64, lastTerm: UInt64, snapshotIndex: UInt64, snapshotTerm: UInt64) {
        self.hardState = hardState
        self.firstIndex = firstIndex
        self.lastIndex = lastIndex
        self.lastTerm = lastTerm
        self.snapshotIndex = snapshotIndex
        self.snapshotTerm = snapshotTerm
    }
}

/// Storage's counters.
public struct StorageStats: Sendable, Equatable {
    /// fsync and fdatasync calls since start.
    public var syncs: UInt64
    /// Entries appended since start.
    public var appended: UInt64
    /// Segment files.
    public var segments: UInt64
    /// Bytes of in-memory index.
    public var indexBytes: UInt64

    /// Counters.
    public init(syncs: UInt64, appended: UInt64, segments: UInt64, indexBytes: UInt64) {
        self.syncs = syncs
        self.appended = appended
        self.segments = segments
        self.indexBytes = indexBytes
    }
}

/// A reply frame's payload: `id (u64) · status (u8) · operation (u8) · data`, little-endian.
/// A failure's data is its reason as a length-prefixed UTF-8 string.
public struct StorageReply: Sendable, Equatable {
    /// The request's id.
    public var id: UInt64
    /// How it ended.
    public var status: StorageStatus
    /// The request's operation code (0 when the request could not be decoded).
    public var operation: UInt8
    /// What it returned.
    public var result: StorageResult

    /// A reply.
    public init(id: UInt64, status: StorageStatus, operation: UInt8, result: StorageResult) {
        self.id = id
        self.status = status
        self.operation = operation
        self.result = result
    }

    /// The payload bytes.
    public func encoded() -> [UInt8] {
        var out = ByteWriter(capacity: 64)
        out.u64(id)
        out.u8(status.rawValue)
        out.u8(operation)
        switch result {
        case .appended(let last): out.u64(last)
        case .entries(let entries): StorageWire.writeEntries(entries, to: &out)
        case .bounds(let first, let last, let term):
            out.u64(first)
            out.u64(last)
            out.u64(term)
        case .term(let term): out.u64(term)
        case .saved: break
        case .state(let state):
            StorageWire.writeHardState(state.hardState, to: &out)
            for value in [state.firstIndex, state.lastIndex, state.lastTerm, state.snapshotIndex, state.snapshotTerm] {
                out.u64(value)
            }
        case .snapshot(let snapshot):
            if let snapshot {
                out.u8(1)
                StorageWire.writeSnapshot(snapshot, to: &out)
            } else {
                out.u8(0)
            }
        case .stats(let stats):
            for value in [stats.syncs, stats.appended, stats.segments, stats.indexBytes] { out.u64(value) }
        case .error(let reason): out.string(reason)
        }
        return out.bytes
    }

    /// Decodes a payload; every malformed one throws (never traps).
    public static func decode(_ payload: [UInt8]) throws(ByteDecodeError) -> StorageReply {
        var reader = ByteReader(payload)
        let id = try reader.u64()
        let rawStatus = try reader.u8()
        guard let status = StorageStatus(rawValue: rawStatus) else { throw ByteDecodeError("unknown status \(rawStatus)") }
        let operation = try reader.u8()
        let result: StorageResult
        if status != .ok && status != .persisted {
            result = .error(try reader.string())
        } else {
            switch operation {
            case 1: result = .appended(lastIndex: try reader.u64())
            case 2: result = .entries(try StorageWire.readEntries(&reader))
            case 3: result = .bounds(firstIndex: try reader.u64(), lastIndex: try reader.u64(), lastTerm: try reader.u64())
            case 4: result = .term(try reader.u64())
            case 5, 7, 9: result = .saved
            case 6:
                let hardState = try StorageWire.readHardState(&reader)
                result = .state(
                    StorageState(
                        hardState: hardState, firstIndex: try reader.u64(), lastIndex: try reader.u64(),
                        lastTerm: try reader.u64(), snapshotIndex: try reader.u64(), snapshotTerm: try reader.u64()))
            case 8:
                let present = try reader.u8()
                guard present <= 1 else { throw ByteDecodeError("snapshot presence flag \(present)") }
                result = .snapshot(present == 1 ? try StorageWire.readSnapshot(&reader) : nil)
            case 10:
                result = .stats(
                    StorageStats(syncs: try reader.u64(), appended: try reader.u64(), segments: try reader.u64(), indexBytes: try reader.u64()))
            default: throw ByteDecodeError("unknown storage operation \(operation) in a reply")
            }
        }
        try reader.expectEnd()
        return StorageReply(id: id, status: status, operation: operation, result: result)
    }
}

/// The shared pieces of the storage codec.
enum StorageWire {
    /// Bytes of an encoded entry before its data: term, index, type, data length.
    static let entryOverhead = 21

    static func writeEntries(_ entries: [LogEntry], to out: inout ByteWriter) {
        out.bytes.reserveCapacity(out.bytes.count + 4 + entries.reduce(0) { $0 + entryOverhead + $1.data.count })
        out.u32(UInt32(entries.count))
        for entry in entries {
            out.u64(entry.term)
            out.u64(entry.index)
            out.u8(entry.type)
            out.blob(entry.data)
        }
    }

    static func readEntries(_ reader: inout ByteReader) throws(ByteDecodeError) -> [LogEntry] {
        let count = Int(try reader.u32())
        guard count <= reader.remaining / entryOverhead else {
            throw ByteDecodeError("\(count) entries cannot fit in the \(reader.remaining) bytes left")
        }
        var entries: [LogEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let term = try reader.u64()
            let index = try reader.u64()
            let type = try reader.u8()
            let data = try reader.blob(limit: LogEntry.maxDataBytes)
            entries.append(LogEntry(term: term, index: index, type: type, data: data))
        }
        return entries
    }

    static func writeHardState(_ state: HardState, to out: inout ByteWriter) {
        out.u64(state.term)
        out.u64(state.vote ?? 0)
        out.u64(state.commit)
    }

    static func readHardState(_ reader: inout ByteReader) throws(ByteDecodeError) -> HardState {
        let term = try reader.u64()
        let vote = try reader.u64()
        return HardState(term: term, vote: vote == 0 ? nil : vote, commit: try reader.u64())
    }

    static func writeSnapshot(_ snapshot: StoredSnapshot, to out: inout ByteWriter) {
        out.u64(snapshot.index)
        out.u64(snapshot.term)
        out.blob(snapshot.membership)
        out.blob(snapshot.data)
    }

    static func readSnapshot(_ reader: inout ByteReader) throws(ByteDecodeError) -> StoredSnapshot {
        StoredSnapshot(
            index: try reader.u64(), term: try reader.u64(), membership: try reader.blob(), data: try reader.blob())
    }
}

import RaftCore
import PGRaftBytes

/// A request to the replicated state machine, carried as the data of a normal log entry.
public enum Command: Sendable, Equatable {
    /// Set `key` to `value`.
    case put(key: String, value: [UInt8])
    /// Remove `key`.
    case delete(key: String)
    /// Set `key` to `value` only if its modification revision is `expectedRevision`
    /// (0: only if the key does not exist).
    case compareAndSet(key: String, expectedRevision: UInt64, value: [UInt8])
    /// Append a record to the command log.
    case logAppend(data: [UInt8])
    /// Drop the command-log records up to and including sequence `through` (sequences are never
    /// reused: the next append continues after the last one).
    case logTrim(through: UInt64)
    /// Record a member's address (membership itself changes through ``ConfChange``).
    case setMemberAddress(node: NodeID, address: String)
    /// A no-op carrying a client tag; used by clients to fence reads through the log.
    case noop(tag: UInt64)
    /// Record the PostgreSQL topology the bridge acts on: which node's server is the primary,
    /// on which timeline, and the last WAL position (LSN) it reported.
    case setTopology(PostgresTopology)
    /// A client's command tagged with the member that proposed it and that member's request
    /// sequence, so the proposer recognises its own request when it is applied, even after the
    /// proposal was forwarded to the leader. Applies exactly as `command` (never itself tagged).
    indirect case request(origin: NodeID, sequence: UInt64, command: Command)

    /// The deterministic byte encoding.
    public func encode() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case .put(let k, let v):
            w.u8(1)
            w.string(k)
            w.blob(v)
        case .delete(let k):
            w.u8(2)
            w.string(k)
        case .compareAndSet(let k, let rev, let v):
            w.u8(3)
            w.string(k)
            w.u64(rev)
            w.blob(v)
        case .logAppend(let d):
            w.u8(4)
            w.blob(d)
        case .logTrim(let through):
            w.u8(Self.logTrimCode)
            w.u64(through)
        case .setMemberAddress(let n, let a):
            w.u8(Self.memberAddressCode)
            w.u64(n)
            w.string(a)
        case .noop(let tag):
            w.u8(6)
            w.u64(tag)
        case .setTopology(let t):
            w.u8(7)
            w.u64(t.primary)
            w.u64(t.timeline)
            w.u64(t.lsn)
        case .request(let origin, let sequence, let command):
            w.u8(Self.requestCode)
            w.u64(origin)
            w.u64(sequence)
            w.blob(command.encode())
        }
        return w.bytes
    }

    /// Decodes ``encode()``'s output; nil if malformed.
    public static func decode(_ bytes: [UInt8]) -> Command? {
        var r = ByteReader(bytes)
        guard let c = try? read(from: &r), r.isAtEnd else { return nil }
        return c
    }

    private static func read(from r: inout ByteReader) throws(ByteDecodeError) -> Command? {
        switch try r.u8() {
        case 1:
            return .put(key: try r.string(limit: .max), value: try r.blob())
        case 2:
            return .delete(key: try r.string(limit: .max))
        case 3:
            return .compareAndSet(key: try r.string(limit: .max), expectedRevision: try r.u64(), value: try r.blob())
        case 4:
            return .logAppend(data: try r.blob())
        case Self.logTrimCode:
            return .logTrim(through: try r.u64())
        case Self.memberAddressCode:
            return .setMemberAddress(node: try r.u64(), address: try r.string(limit: .max))
        case 6:
            return .noop(tag: try r.u64())
        case 7:
            return .setTopology(PostgresTopology(primary: try r.u64(), timeline: try r.u64(), lsn: try r.u64()))
        case Self.requestCode:
            let origin = try r.u64()
            let sequence = try r.u64()
            guard let command = Command.decode(try r.blob()) else { return nil }
            if case .request = command { return nil }
            return .request(origin: origin, sequence: sequence, command: command)
        default:
            return nil
        }
    }
}

extension Command {
    static let memberAddressCode: UInt8 = 5
    static let requestCode: UInt8 = 8
    static let logTrimCode: UInt8 = 9

    /// The proposer and sequence of the `.request` encoded in `bytes`, read from its first bytes
    /// without decoding (or copying) the command inside; nil for any other command. The node that
    /// applies an entry uses it to find its own waiting client, while the state machine decodes.
    public static func requestTag(in bytes: [UInt8]) -> (origin: NodeID, sequence: UInt64)? {
        guard bytes.first == requestCode else { return nil }
        var r = ByteReader(bytes, range: 1..<bytes.count)
        guard let origin = try? r.u64(), let sequence = try? r.u64() else { return nil }
        return (origin, sequence)
    }

    /// Whether `bytes` encode a `.setMemberAddress`.
    public static func isMemberAddress(_ bytes: [UInt8]) -> Bool {
        bytes.first == memberAddressCode
    }
}

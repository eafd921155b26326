import RaftCore

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
            w.write(UInt8(1))
            w.write(k)
            w.write(v)
        case .delete(let k):
            w.write(UInt8(2))
            w.write(k)
        case .compareAndSet(let k, let rev, let v):
            w.write(UInt8(3))
            w.write(k)
            w.write(rev)
            w.write(v)
        case .logAppend(let d):
            w.write(UInt8(4))
            w.write(d)
        case .logTrim(let through):
            w.write(Self.logTrimCode)
            w.write(through)
        case .setMemberAddress(let n, let a):
            w.write(Self.memberAddressCode)
            w.write(n)
            w.write(a)
        case .noop(let tag):
            w.write(UInt8(6))
            w.write(tag)
        case .setTopology(let t):
            w.write(UInt8(7))
            w.write(t.primary)
            w.write(t.timeline)
            w.write(t.lsn)
        case .request(let origin, let sequence, let command):
            w.write(Self.requestCode)
            w.write(origin)
            w.write(sequence)
            w.write(command.encode())
        }
        return w.bytes
    }

    /// Decodes ``encode()``'s output; nil if malformed.
    public static func decode(_ bytes: [UInt8]) -> Command? {
        var r = ByteReader(bytes)
        guard let tag = r.readUInt8() else { return nil }
        let c: Command?
        switch tag {
        case 1:
            guard let k = r.readString(), let v = r.readBytes() else { return nil }
            c = .put(key: k, value: v)
        case 2:
            guard let k = r.readString() else { return nil }
            c = .delete(key: k)
        case 3:
            guard let k = r.readString(), let rev = r.readUInt64(), let v = r.readBytes() else { return nil }
            c = .compareAndSet(key: k, expectedRevision: rev, value: v)
        case 4:
            guard let d = r.readBytes() else { return nil }
            c = .logAppend(data: d)
        case Self.logTrimCode:
            guard let through = r.readUInt64() else { return nil }
            c = .logTrim(through: through)
        case Self.memberAddressCode:
            guard let n = r.readUInt64(), let a = r.readString() else { return nil }
            c = .setMemberAddress(node: n, address: a)
        case 6:
            guard let t = r.readUInt64() else { return nil }
            c = .noop(tag: t)
        case 7:
            guard let p = r.readUInt64(), let tl = r.readUInt64(), let lsn = r.readUInt64() else { return nil }
            c = .setTopology(PostgresTopology(primary: p, timeline: tl, lsn: lsn))
        case Self.requestCode:
            guard let origin = r.readUInt64(), let sequence = r.readUInt64(), let inner = r.readBytes(),
                let command = Command.decode(inner)
            else { return nil }
            if case .request = command { return nil }
            c = .request(origin: origin, sequence: sequence, command: command)
        default:
            return nil
        }
        return r.isAtEnd ? c : nil
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
        var r = ByteReader(bytes)
        _ = r.readUInt8()
        guard let origin = r.readUInt64(), let sequence = r.readUInt64() else { return nil }
        return (origin, sequence)
    }

    /// Whether `bytes` encode a `.setMemberAddress`.
    public static func isMemberAddress(_ bytes: [UInt8]) -> Bool {
        bytes.first == memberAddressCode
    }
}

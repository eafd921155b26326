import RaftCore

/// The state every member builds by applying the committed log in order: the membership,
/// a key-value map with revisions, a command log (appended to, trimmed from the front), and the
/// PostgreSQL topology.
///
/// Deterministic: the same entries give the same state and the same ``snapshot()`` bytes on
/// every member.
///
/// - Important: Apply entries exactly once, in index order, only from
///   ``Ready/committedEntries``; restore from a snapshot's data before applying the entries after it.
public struct ReplicatedStateMachine: Sendable, Equatable {
    /// The index of the last applied entry.
    public private(set) var appliedIndex: UInt64 = 0
    /// The membership as of `appliedIndex`.
    public private(set) var membership: ConfState
    /// Member addresses.
    public private(set) var addresses: [NodeID: String] = [:]
    /// The PostgreSQL topology last recorded.
    public private(set) var topology = PostgresTopology(primary: 0, timeline: 0, lsn: 0)
    /// The store revision: incremented by every change of the key-value map.
    public private(set) var revision: UInt64 = 0
    private var kv: [String: KeyValueRecord] = [:]
    private var commandLog: [CommandLogRecord] = []
    private var commandLogBytes: UInt64 = 0
    /// Records up to and including this sequence were trimmed away.
    private var commandLogTrimmed: UInt64 = 0

    /// Creates an empty state machine with the given initial membership.
    public init(membership: ConfState = ConfState()) {
        self.membership = membership
    }

    /// Applies one committed entry and returns its result.
    @discardableResult
    public mutating func apply(_ entry: Entry) -> CommandResult {
        precondition(entry.index > appliedIndex, "entry \(entry.index) applied twice (applied \(appliedIndex))")
        appliedIndex = entry.index
        switch entry.kind {
        case .confChange:
            if let cc = ConfChange.decode(entry.data), let next = try? ConfChanger.apply(cc, to: membership) {
                for removed in membership.allMembers where !next.allMembers.contains(removed) {
                    addresses[removed] = nil
                }
                membership = next
            }
            return .membership
        case .normal:
            if entry.data.isEmpty { return .none }
            guard let command = Command.decode(entry.data) else { return .invalid }
            return execute(command, entry: entry)
        }
    }

    private mutating func execute(_ command: Command, entry: Entry) -> CommandResult {
        switch command {
        case .put(let key, let value):
            return .put(revision: write(key, value))
        case .delete(let key):
            guard kv[key] != nil else { return .deleted(revision: nil) }
            revision += 1
            kv[key] = nil
            return .deleted(revision: revision)
        case .compareAndSet(let key, let expected, let value):
            let current = kv[key]?.modRevision ?? 0
            guard current == expected else { return .compareAndSet(succeeded: false, revision: current) }
            return .compareAndSet(succeeded: true, revision: write(key, value))
        case .logAppend(let data):
            let seq = commandLogTrimmed + UInt64(commandLog.count) + 1
            commandLog.append(CommandLogRecord(sequence: seq, raftIndex: entry.index, raftTerm: entry.term, data: data))
            commandLogBytes += UInt64(data.count)
            return .appended(sequence: seq)
        case .logTrim(let through):
            let dropped = Int(min(through, commandLogTrimmed + UInt64(commandLog.count)) - min(through, commandLogTrimmed))
            commandLogBytes -= commandLog.prefix(dropped).reduce(0) { $0 + UInt64($1.data.count) }
            commandLog.removeFirst(dropped)
            commandLogTrimmed += UInt64(dropped)
            return .logTrimmed(through: commandLogTrimmed)
        case .setMemberAddress(let node, let address):
            if membership.allMembers.contains(node) { addresses[node] = address }
            return .membership
        case .noop:
            return .none
        case .setTopology(let t):
            topology = t
            return .none
        case .request(_, _, let inner):
            return execute(inner, entry: entry)
        }
    }

    private mutating func write(_ key: String, _ value: [UInt8]) -> UInt64 {
        revision += 1
        if var r = kv[key] {
            r.value = value
            r.modRevision = revision
            r.version += 1
            kv[key] = r
        } else {
            kv[key] = KeyValueRecord(value: value, createRevision: revision, modRevision: revision, version: 1)
        }
        return revision
    }

    // MARK: - Queries (local; linearizable when issued after a ReadIndex point is applied)

    /// The record of `key`, if present.
    public func get(_ key: String) -> KeyValueRecord? { kv[key] }

    /// Every key starting with `prefix`, sorted, with its record.
    public func list(prefix: String) -> [(key: String, record: KeyValueRecord)] {
        kv.keys.filter { $0.hasPrefix(prefix) }.sorted().map { ($0, kv[$0]!) }
    }

    /// The number of keys.
    public var keyCount: Int { kv.count }

    /// The command-log record with sequence number `sequence` (nil if trimmed or never appended).
    public func logRecord(_ sequence: UInt64) -> CommandLogRecord? {
        guard sequence > commandLogTrimmed, sequence - commandLogTrimmed <= UInt64(commandLog.count) else { return nil }
        return commandLog[Int(sequence - commandLogTrimmed - 1)]
    }

    /// Statistics of the command log.
    public var logStats: CommandLogStats {
        CommandLogStats(
            count: UInt64(commandLog.count), bytes: commandLogBytes,
            firstSequence: commandLog.first?.sequence ?? 0, lastSequence: commandLogTrimmed + UInt64(commandLog.count),
            lastRaftIndex: commandLog.last?.raftIndex ?? 0)
    }

    // MARK: - Snapshots

    static let snapshotMagic: UInt32 = 0x5052_534D  // "PRSM"
    /// Version 3 added the command log's trim point; version 2 images (no trim) still restore.
    static let snapshotVersion: UInt8 = 3

    /// The deterministic encoding of the whole state (keys and members in sorted order).
    public func snapshot() -> [UInt8] {
        var w = ByteWriter()
        w.write(Self.snapshotMagic)
        w.write(Self.snapshotVersion)
        w.write(appliedIndex)
        membership.write(to: &w)
        let members = addresses.keys.sorted()
        w.write(UInt32(members.count))
        for m in members {
            w.write(m)
            w.write(addresses[m]!)
        }
        w.write(topology.primary)
        w.write(topology.timeline)
        w.write(topology.lsn)
        w.write(revision)
        let keys = kv.keys.sorted()
        w.write(UInt32(keys.count))
        for k in keys {
            let r = kv[k]!
            w.write(k)
            w.write(r.value)
            w.write(r.createRevision)
            w.write(r.modRevision)
            w.write(r.version)
        }
        w.write(commandLogTrimmed)
        w.write(UInt32(commandLog.count))
        for rec in commandLog {
            w.write(rec.raftIndex)
            w.write(rec.raftTerm)
            w.write(rec.data)
        }
        return w.bytes
    }

    /// Rebuilds the state from ``snapshot()`` bytes; empty bytes give the empty state with
    /// `membership` (the bootstrap snapshot). Nil if the bytes are malformed.
    public static func restore(_ bytes: [UInt8], membership: ConfState) -> ReplicatedStateMachine? {
        var sm = ReplicatedStateMachine(membership: membership)
        if bytes.isEmpty { return sm }
        var r = ByteReader(bytes)
        guard r.readUInt32() == snapshotMagic, let version = r.readUInt8(), version == 2 || version == snapshotVersion,
            let applied = r.readUInt64(), let conf = ConfState.read(from: &r), let nAddr = r.readUInt32()
        else { return nil }
        sm.appliedIndex = applied
        sm.membership = conf
        for _ in 0..<nAddr {
            guard let id = r.readUInt64(), let a = r.readString() else { return nil }
            sm.addresses[id] = a
        }
        guard let p = r.readUInt64(), let tl = r.readUInt64(), let lsn = r.readUInt64() else { return nil }
        sm.topology = PostgresTopology(primary: p, timeline: tl, lsn: lsn)
        guard let rev = r.readUInt64(), let nKeys = r.readUInt32() else { return nil }
        sm.revision = rev
        for _ in 0..<nKeys {
            guard let k = r.readString(), let v = r.readBytes(), let c = r.readUInt64(), let m = r.readUInt64(),
                let ver = r.readUInt64()
            else { return nil }
            sm.kv[k] = KeyValueRecord(value: v, createRevision: c, modRevision: m, version: ver)
        }
        if version >= 3 {
            guard let trimmed = r.readUInt64(), trimmed <= UInt64.max / 2 else { return nil }
            sm.commandLogTrimmed = trimmed
        }
        guard let nLog = r.readUInt32() else { return nil }
        for i in 0..<nLog {
            guard let idx = r.readUInt64(), let t = r.readUInt64(), let d = r.readBytes() else { return nil }
            sm.commandLog.append(CommandLogRecord(sequence: sm.commandLogTrimmed + UInt64(i) + 1, raftIndex: idx, raftTerm: t, data: d))
            sm.commandLogBytes += UInt64(d.count)
        }
        return r.isAtEnd ? sm : nil
    }
}

import RaftCore
import PGRaftBytes

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
            // Once: a late or repeated entry (a retried add, a waiter's re-proposal) never moves a
            // member; a removal clears the address for the next add.
            if membership.allMembers.contains(node), addresses[node] == nil { addresses[node] = address }
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
        w.u32(Self.snapshotMagic)
        w.u8(Self.snapshotVersion)
        w.u64(appliedIndex)
        membership.write(to: &w)
        let members = addresses.keys.sorted()
        w.u32(UInt32(members.count))
        for m in members {
            w.u64(m)
            w.string(addresses[m]!)
        }
        w.u64(topology.primary)
        w.u64(topology.timeline)
        w.u64(topology.lsn)
        w.u64(revision)
        let keys = kv.keys.sorted()
        w.u32(UInt32(keys.count))
        for k in keys {
            let r = kv[k]!
            w.string(k)
            w.blob(r.value)
            w.u64(r.createRevision)
            w.u64(r.modRevision)
            w.u64(r.version)
        }
        w.u64(commandLogTrimmed)
        w.u32(UInt32(commandLog.count))
        for rec in commandLog {
            w.u64(rec.raftIndex)
            w.u64(rec.raftTerm)
            w.blob(rec.data)
        }
        return w.bytes
    }

    /// Rebuilds the state from ``snapshot()`` bytes; empty bytes give the empty state with
    /// `membership` (the bootstrap snapshot). Nil if the bytes are malformed.
    public static func restore(_ bytes: [UInt8], membership: ConfState) -> ReplicatedStateMachine? {
        if bytes.isEmpty { return ReplicatedStateMachine(membership: membership) }
        var r = ByteReader(bytes)
        guard let sm = try? read(from: &r, membership: membership), r.isAtEnd else { return nil }
        return sm
    }

    private static func read(from r: inout ByteReader, membership: ConfState) throws(ByteDecodeError) -> ReplicatedStateMachine? {
        var sm = ReplicatedStateMachine(membership: membership)
        guard try r.u32() == snapshotMagic else { return nil }
        let version = try r.u8()
        guard version == 2 || version == snapshotVersion else { return nil }
        sm.appliedIndex = try r.u64()
        guard let conf = try ConfState.read(from: &r) else { return nil }
        sm.membership = conf
        for _ in 0..<(try r.u32()) {
            let id = try r.u64()
            sm.addresses[id] = try r.string(limit: .max)
        }
        sm.topology = PostgresTopology(primary: try r.u64(), timeline: try r.u64(), lsn: try r.u64())
        sm.revision = try r.u64()
        for _ in 0..<(try r.u32()) {
            let k = try r.string(limit: .max)
            sm.kv[k] = KeyValueRecord(value: try r.blob(), createRevision: try r.u64(), modRevision: try r.u64(), version: try r.u64())
        }
        if version >= 3 {
            let trimmed = try r.u64()
            guard trimmed <= UInt64.max / 2 else { return nil }
            sm.commandLogTrimmed = trimmed
        }
        for i in 0..<(try r.u32()) {
            let idx = try r.u64()
            let t = try r.u64()
            let d = try r.blob()
            sm.commandLog.append(CommandLogRecord(sequence: sm.commandLogTrimmed + UInt64(i) + 1, raftIndex: idx, raftTerm: t, data: d))
            sm.commandLogBytes += UInt64(d.count)
        }
        return sm
    }
}

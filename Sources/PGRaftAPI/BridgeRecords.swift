import PGRaftBridge
import PGRaftClient

/// What the bridges keep in the key-value store under the reserved prefix `pgraft/`: the recorded
/// primary (`Topology`) and each member's `MemberStatus`, read by the api in one stale local listing
/// of the prefix (one round trip to consensus, one store revision for both).
public struct BridgeRecords: Sendable, Equatable {
    /// The prefix every bridge record's key starts with. Reserved: the api refuses writes under it.
    public static let prefix = "pgraft/"

    /// The recorded primary; nil when none is recorded (or the record does not decode).
    public var topology: Topology?
    /// Each member's status, by node id (records that do not decode, or whose key and node differ,
    /// are left out).
    public var statuses: [UInt64: MemberStatus]

    /// Records with the given content.
    public init(topology: Topology? = nil, statuses: [UInt64: MemberStatus] = [:]) {
        self.topology = topology
        self.statuses = statuses
    }

    /// The records found in a listing of ``prefix`` (other keys are ignored).
    public init(records: [ClientKeyRecord]) {
        self.init()
        for record in records {
            if record.key == Topology.key {
                topology = Topology(encoded: record.value)
            } else if record.key.hasPrefix(MemberStatus.keyPrefix),
                let node = UInt64(record.key.dropFirst(MemberStatus.keyPrefix.count)),
                let status = MemberStatus(encoded: record.value), status.node == node
            {
                statuses[node] = status
            }
        }
    }

    /// The WAL position the recorded primary's bridge last recorded as flushed; nil without a
    /// recorded primary or without a status of its server.
    public var primaryFlushed: WALPosition? {
        topology.flatMap { statuses[$0.primary]?.flushed }
    }

    /// Why ``primaryFlushed`` is nil, in words (nil when it is known).
    public var primaryUnknownReason: String? {
        guard let topology else { return "no primary is recorded (no \(Topology.key) in the key-value store)" }
        guard statuses[topology.primary] != nil else {
            return "the recorded primary, node \(topology.primary), has no status (\(MemberStatus.key(of: topology.primary)))"
        }
        return nil
    }
}

/// The outcome of reading the bridges' records: read, or why not.
public enum BridgeRecordsRead: Sendable, Equatable {
    /// The listing answered.
    case read(BridgeRecords)
    /// It could not be read (consensus unreachable, slow, or refusing): why.
    case unavailable(String)

    /// The records when read.
    public var records: BridgeRecords? {
        if case .read(let records) = self { return records }
        return nil
    }

    /// Why they are not known, when they are not.
    public var failure: String? {
        if case .unavailable(let reason) = self { return reason }
        return nil
    }
}

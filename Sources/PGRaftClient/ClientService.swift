/// The requests a node serves and the answers it gives: what the api asks of consensus over
/// `consensus.sock` (PGRaftKit encodes them) and what the simulator's clients ask of a simulated
/// node. One definition, so that the simulator's clients get exactly the answers real ones get.

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
    /// Set `key` to `value` through the log if its modification revision is `expectedRevision`
    /// when the write is applied (0: the key must not exist).
    case compareAndSet(key: String, expectedRevision: UInt64, value: [UInt8])

    /// The operation's code on the wire.
    public var code: UInt8 {
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
        case .compareAndSet: return 13
        }
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
    /// This node is not a member of the cluster (it applied its removal, or most of the members it
    /// dials refuse it: removed, or its addition has not reached them yet): it cannot serve, and
    /// retrying here will not help; ask another member.
    case notMember = 7
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
    /// A write committed and applied that changed nothing (a delete of a missing key, a
    /// compare-and-set whose expectation failed): the store revision it saw, the key's
    /// modification revision then (0: absent), and its place in the log.
    case unchanged(revision: UInt64, modRevision: UInt64, index: UInt64, term: UInt64)
    /// Why the request did not succeed.
    case message(String)
}

import RaftCore

/// Where a member listens for its peers.
public struct NodeAddress: Sendable, Equatable {
    /// The member.
    public var id: NodeID
    /// Its peer address, `host:port`.
    public var address: String

    /// An address.
    public init(id: NodeID, address: String) {
        self.id = id
        self.address = address
    }
}

/// What a node with an empty log does: found the cluster from the configured voters, or wait to
/// be added by a member.
public enum EmptyLogPolicy: Sendable, Equatable {
    /// Found the cluster with these voters (`initial_cluster_state: new`).
    case found(voters: [NodeID])
    /// Wait to be added (`initial_cluster_state: existing`).
    case join
}

/// Everything a ``NodeMachine`` is configured with; the caller derives it from the node's
/// configuration (production) or from the run's options (simulator).
public struct NodeSettings: Sendable {
    /// The Raft core's configuration, this node's id included.
    public var raft: RaftConfig
    /// One tick of ``NodeEvent/tick``, in ms (the machine's time-outs are in ms).
    public var tickMs: Int64
    /// How long a client request may wait for its commit or read point, in ms.
    public var requestTimeoutMs: Int64
    /// Applied entries between two snapshots (and log compactions).
    public var snapshotEntries: UInt64
    /// What to do when storage holds nothing.
    public var emptyLog: EmptyLogPolicy
    /// The members named in the configuration, with their peer addresses (used until the state
    /// machine knows better).
    public var configuredMembers: [NodeAddress]
    /// The first proposal sequence and read round of this life. Must differ from every earlier
    /// life's (production: the wall clock in ms shifted left by 20), or a late answer to an old
    /// proposal could be taken for a new one.
    public var sequenceBase: UInt64
    /// Seeds the core's randomized election timeouts; differ per node and per start.
    public var randomSeed: UInt64
    /// Driver defects to inject (only to prove the simulator's checkers can fail).
    public var defects: DriverDefects

    /// Settings; `raft.id` is this node.
    public init(
        raft: RaftConfig, tickMs: Int64, requestTimeoutMs: Int64, snapshotEntries: UInt64, emptyLog: EmptyLogPolicy,
        configuredMembers: [NodeAddress], sequenceBase: UInt64, randomSeed: UInt64, defects: DriverDefects = []
    ) {
        self.raft = raft
        self.tickMs = tickMs
        self.requestTimeoutMs = requestTimeoutMs
        self.snapshotEntries = snapshotEntries
        self.emptyLog = emptyLog
        self.configuredMembers = configuredMembers
        self.sequenceBase = sequenceBase
        self.randomSeed = randomSeed
        self.defects = defects
    }

    /// This node.
    public var id: NodeID { raft.id }
}

/// Mistakes a node driver could make, injected on purpose so that the simulator's checkers are
/// shown to catch each (the core's own defects are ``InjectedDefects``).
public struct DriverDefects: OptionSet, Sendable, Hashable {
    /// The raw bits.
    public let rawValue: UInt32

    /// Defects from raw bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Acknowledgements and votes (`messagesAfterPersist`) leave with the batch, before it is durable.
    public static let ackBeforeFsync = DriverDefects(rawValue: 1 << 0)
    /// A proposal is answered as soon as it is appended to the leader's log, with the result it
    /// would have if applied then, instead of when it is committed and applied.
    public static let replyBeforeCommit = DriverDefects(rawValue: 1 << 1)
    /// When storage comes back with a batch in flight, the batch is taken as written instead of
    /// being sent again.
    public static let skipResendAfterStorageRestart = DriverDefects(rawValue: 1 << 2)
    /// Entries are applied to the state machine as soon as they are in the log, committed or not.
    public static let applyUncommitted = DriverDefects(rawValue: 1 << 3)
    /// Acknowledgements and votes made in a term the node has since left still leave once their
    /// batch is durable, although a newer leader's snapshot may have replaced the log they vouch for.
    public static let sendStaleTermAcks = DriverDefects(rawValue: 1 << 4)

    /// Every defect with its command-line name (`pgraft-sim --bug NAME`).
    public static let named: [(name: String, defect: DriverDefects)] = [
        ("ack-before-fsync", .ackBeforeFsync),
        ("reply-before-commit", .replyBeforeCommit),
        ("skip-resend-after-storage-restart", .skipResendAfterStorageRestart),
        ("apply-uncommitted", .applyUncommitted),
        ("send-stale-term-acks", .sendStaleTermAcks),
    ]
}

/// How a commit on the primary waits for the standbys (the YAML's `postgres.synchronous`).
public enum SynchronousMode: String, Sendable, CaseIterable {
    /// `ANY k (the other voters)` with k such that the primary and k standbys are a majority of the
    /// voters: every acknowledged commit is on a majority, so the most advanced server of any
    /// majority holds it. k never drops: while fewer than k standbys stream, commits wait (the
    /// primary's node leads a majority, so only a broken member server can cause that, and its
    /// bridge repairs it).
    case quorum
    /// `ANY k` of every other voter, k being all of them: a commit waits for every voter.
    case strict
    /// Asynchronous: a commit is acknowledged by the primary alone; a failover may lose the last
    /// commits, and is refused to a server more than `maximum_lag_on_failover` bytes behind.
    case off
}

/// What one bridge core needs to know about its node and the operator's choices.
public struct BridgeSettings: Sendable {
    /// This node.
    public var node: UInt64
    /// How commits wait for standbys.
    public var synchronous: SynchronousMode
    /// With `off`: the most bytes a server may be behind the last primary position known and still
    /// be promoted.
    public var maximumLagOnFailover: UInt64
    /// Whether a former primary is rewound with pg_rewind (else it is cloned anew).
    public var useRewind: Bool
    /// How long a primary's server may take to come back in place before leadership goes elsewhere,
    /// and how long any start may take.
    public var startTimeoutMs: Int64
    /// The Raft election timeout: the bound on fencing, and the pace of retries.
    public var electionTimeoutMs: Int64
    /// Defects injected on purpose, to show the simulator's checks catch them.
    public var defects: BridgeDefects

    /// How long a new leader whose server still streams from the recorded primary waits for that
    /// primary's node to come back before failing it over: three election timeouts, so that a
    /// network blip or a restart of consensus or transport on the primary's node shorter than that
    /// changes no primary. A primary whose host dies closes its streams and is failed over without
    /// this wait; one that vanishes without closing them (a power loss, a frozen host) after it.
    public var hiccupGraceMs: Int64 { 3 * electionTimeoutMs }

    /// Settings with the documented defaults.
    public init(
        node: UInt64, synchronous: SynchronousMode = .quorum, maximumLagOnFailover: UInt64 = 1 << 20, useRewind: Bool = true,
        startTimeoutMs: Int64 = 30_000, electionTimeoutMs: Int64 = 1000, defects: BridgeDefects = []
    ) {
        self.node = node
        self.synchronous = synchronous
        self.maximumLagOnFailover = maximumLagOnFailover
        self.useRewind = useRewind
        self.startTimeoutMs = startTimeoutMs
        self.electionTimeoutMs = electionTimeoutMs
        self.defects = defects
    }
}

/// Known failover defects the core can be told to commit (`pgraft-sim --postgres --bug NAME`), so
/// that tests show the simulator's checks catch each.
public struct BridgeDefects: OptionSet, Sendable, Hashable {
    /// The raw bits.
    public let rawValue: UInt32

    /// Defects from raw bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// A new leader promotes its server without comparing WAL positions with a majority.
    public static let promoteWithoutPositionCheck = BridgeDefects(rawValue: 1 << 0)
    /// A primary whose node does not lead is neither fenced nor demoted.
    public static let noFencing = BridgeDefects(rawValue: 1 << 1)
    /// A new primary is promoted with asynchronous commit and gets its synchronous standbys only
    /// half an election timeout after.
    public static let asyncAfterPromotion = BridgeDefects(rawValue: 1 << 2)
    /// A new leader promotes as soon as it proposes its topology entry, before it is committed.
    public static let promoteBeforeTopologyCommit = BridgeDefects(rawValue: 1 << 3)

    /// Every defect with its command-line name.
    public static let named: [(name: String, defect: BridgeDefects)] = [
        ("promote-without-position-check", .promoteWithoutPositionCheck),
        ("no-fencing", .noFencing),
        ("async-after-promotion", .asyncAfterPromotion),
        ("promote-before-topology-commit", .promoteBeforeTopologyCommit),
    ]
}

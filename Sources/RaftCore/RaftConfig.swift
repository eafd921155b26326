/// Settings of one node. Time is counted in ticks: the caller decides how long a tick is.
public struct RaftConfig: Sendable {
    /// This node's identity (non-zero).
    public var id: NodeID
    /// Ticks without hearing a leader before campaigning; the actual timeout is random in
    /// `[electionTick, electionTick + spread)` (§3.4; see `electionSpreadTick`). Must exceed `heartbeatTick`.
    public var electionTick: Int = 10
    /// Ticks between leader heartbeats.
    public var heartbeatTick: Int = 1
    /// The election timeout is drawn anew from `electionTick ..< electionTick + spread`, where the
    /// spread is this many ticks (0: `electionTick`, as in etcd). A narrower spread bounds the
    /// failover time more tightly; it must stay wide enough that followers rarely tie.
    public var electionSpreadTick: Int = 0
    /// When non-zero, a campaign that did not conclude (a split vote, a pre-vote without a majority)
    /// is retried after a random `campaignRetryTick ..< 2 * campaignRetryTick` ticks instead of a
    /// whole election timeout, so that two followers that happened to campaign together cost one
    /// short retry, not a second election timeout. Followers' timeouts (and leader leases) are not
    /// affected. 0: retry after an election timeout, as etcd does.
    public var campaignRetryTick: Int = 0
    /// Maximum entries in one append message (`max_log_entries`).
    public var maxEntriesPerMessage: Int = 1024
    /// Maximum payload bytes in one append message (at least one entry is always sent).
    public var maxBytesPerMessage: Int = 1 << 20
    /// Maximum append messages in flight to one follower in the replicate state.
    public var maxInflightMessages: Int = 256
    /// Maximum payload bytes in flight to one follower (0: unlimited).
    public var maxInflightBytes: Int = 0
    /// Maximum committed entries returned by one ready batch.
    public var maxCommittedPerReady: Int = 4096
    /// Whether to run the pre-vote phase before real elections (§9.6).
    public var preVote: Bool = true
    /// Whether a leader steps down when it has not heard from a quorum for an election
    /// timeout, and followers ignore vote requests while they hear from a leader (§6.2, §9.6).
    public var checkQuorum: Bool = true
    /// Whether a follower forwards proposals to the leader instead of refusing them.
    public var forwardProposals: Bool = true
    /// Known defects to inject, for the simulator's self-test only. Empty in production.
    public var injectedDefects: InjectedDefects = []

    /// Creates a configuration for node `id` with the default settings.
    public init(id: NodeID) {
        self.id = id
    }
}

import PGRaftKit
import PGRaftNode
import RaftCore

/// What consensus takes from the node's configuration and its own arguments.
struct ConsensusSettings: Sendable {
    /// This node.
    var nodeId: NodeID
    /// One Raft tick, in ms: a tenth of the heartbeat interval (at least 1 ms), so that randomized
    /// election timeouts have a fine grain and two followers rarely campaign at the same instant.
    var tickMs: Int64
    /// Ticks between the leader's heartbeats (heartbeat_interval / tick).
    var heartbeatTicks: Int
    /// Ticks without a leader before an election (election_timeout / tick); the core randomizes
    /// each timeout between this and one and a half times this.
    var electionTicks: Int
    /// Most entries per replication message (`max_log_entries`).
    var maxLogEntries: Int
    /// Applied entries between two snapshots (and log compactions).
    var snapshotEntries: UInt64
    /// How long a client request may wait for its commit or read point, in ms.
    var requestTimeoutMs: Int64
    /// Found the cluster (new) or wait to be added (existing) when storage is empty.
    var initialClusterState: InitialClusterState
    /// The members named in the configuration, with their peer addresses.
    var configuredMembers: [(id: NodeID, address: String)]

    /// Settings from `config` and the component's `arguments` (`--snapshot-entries N`, default
    /// 100000 as etcd's snapshot count: the core keeps the entries since the last snapshot in memory).
    init(config: NodeConfig, arguments: [String]) throws {
        nodeId = NodeID(config.nodeId)
        let tick = max(1, config.heartbeatInterval / 10)
        tickMs = Int64(tick)
        heartbeatTicks = max(1, config.heartbeatInterval / tick)
        electionTicks = max(heartbeatTicks + 1, config.electionTimeout / tick)
        maxLogEntries = config.maxLogEntries
        requestTimeoutMs = Int64(max(5_000, 4 * config.electionTimeout))
        initialClusterState = config.initialClusterState
        configuredMembers = config.members.map { (NodeID($0.id), $0.address) }
        snapshotEntries = UInt64(
            try ComponentArguments.number("--snapshot-entries", in: arguments, minimum: 2, needs: "a number of entries") ?? 100_000)
    }

    /// The Raft core's configuration.
    var raftConfig: RaftConfig {
        var c = RaftConfig(id: nodeId)
        c.electionTick = electionTicks
        c.heartbeatTick = heartbeatTicks
        // Timeouts in [election_timeout, 1.5 × election_timeout): a dead leader is replaced within two
        // election timeouts, and with 10 ms ticks two followers still rarely tie.
        c.electionSpreadTick = max(1, electionTicks / 2)
        // Two followers that campaign together retry after a quarter to a half of the election
        // timeout, so even a split vote stays within two election timeouts of the leader's loss.
        c.campaignRetryTick = max(1, electionTicks / 4)
        c.maxEntriesPerMessage = maxLogEntries
        c.preVote = true
        c.checkQuorum = true
        c.forwardProposals = true
        // Bounds what a follower can be sent before it acknowledges, hence one storage batch.
        c.maxInflightBytes = 64 << 20
        return c
    }

    /// The node machine's settings; `sequenceBase` and `randomSeed` must differ on every start.
    func nodeSettings(sequenceBase: UInt64, randomSeed: UInt64) -> NodeSettings {
        let emptyLog: EmptyLogPolicy
        switch initialClusterState {
        case .new: emptyLog = .found(voters: configuredMembers.map(\.id))
        case .existing: emptyLog = .join
        }
        return NodeSettings(
            raft: raftConfig, tickMs: tickMs, requestTimeoutMs: requestTimeoutMs, snapshotEntries: snapshotEntries, emptyLog: emptyLog,
            configuredMembers: configuredMembers.map { NodeAddress(id: $0.id, address: $0.address) }, sequenceBase: sequenceBase,
            randomSeed: randomSeed)
    }
}

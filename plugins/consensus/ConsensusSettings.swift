import PGRaftKit
import RaftCore

/// What consensus takes from the node's configuration and its own arguments.
struct ConsensusSettings: Sendable {
    /// This node.
    var nodeId: NodeID
    /// One Raft tick: the heartbeat interval, in ms.
    var tickMs: Int64
    /// Ticks without a leader before an election (election_timeout / heartbeat_interval).
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

    /// Settings from `config` and the component's `arguments` (`--snapshot-entries N`).
    init(config: NodeConfig, arguments: [String]) throws {
        nodeId = NodeID(config.nodeId)
        tickMs = Int64(config.heartbeatInterval)
        electionTicks = max(2, config.electionTimeout / config.heartbeatInterval)
        maxLogEntries = config.maxLogEntries
        requestTimeoutMs = Int64(max(5_000, 4 * config.electionTimeout))
        initialClusterState = config.initialClusterState
        configuredMembers = config.members.map { (NodeID($0.id), $0.address) }
        snapshotEntries = 10_000
        if let at = arguments.firstIndex(of: "--snapshot-entries") {
            guard at + 1 < arguments.count, let n = UInt64(arguments[at + 1]), n >= 2 else {
                throw ArgumentError(description: "--snapshot-entries needs a number of entries of at least 2")
            }
            snapshotEntries = n
        }
    }

    /// A bad component argument.
    struct ArgumentError: Error, CustomStringConvertible {
        let description: String
    }

    /// The Raft core's configuration.
    var raftConfig: RaftConfig {
        var c = RaftConfig(id: nodeId)
        c.electionTick = electionTicks
        c.heartbeatTick = 1
        c.maxEntriesPerMessage = maxLogEntries
        c.preVote = true
        c.checkQuorum = true
        c.forwardProposals = true
        return c
    }
}

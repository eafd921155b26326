/// What a queued command asks consensus to do (the architecture's INIT, ADD_NODE, REMOVE_NODE,
/// LOG_APPEND, KV_PUT, KV_DELETE, TRANSFER_LEADER, and what the SQL and HTTP APIs add).
///
/// The payload's format is agreed between the producer and consensus; the queue carries bytes.
public enum CommandType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// INIT: bootstrap a new cluster with this node (`pgraft_init`).
    case initCluster = 1
    /// ADD_NODE: add a node, as a learner promoted to voter once it has caught up (`pgraftctl cluster
    /// add-node`, `POST /v1/members`, `pgraft_add_node`).
    case addNode = 2
    /// REMOVE_NODE: remove a member (`pgraft_remove_node`, `DELETE /v1/members/{id}`).
    case removeNode = 3
    /// LOG_APPEND: append an entry to the replicated command log (`pgraft_log_append`, `POST /v1/log`).
    case logAppend = 4
    /// KV_PUT: set a key (`pgraft_kv_put`, `PUT /v1/kv/{key}`).
    case kvPut = 5
    /// KV_DELETE: delete a key (`pgraft_kv_delete`, `DELETE /v1/kv/{key}`).
    case kvDelete = 6
    /// TRANSFER_LEADER: planned switchover (`POST /v1/leader/transfer`).
    case transferLeader = 7
    /// Add a non-voting learner that catches up before promotion.
    case addLearner = 8
    /// Promote a caught-up learner to voter.
    case promoteLearner = 9
    /// Linearizable read barrier (ReadIndex); the result index is the read index.
    case readIndex = 10
    /// Record the PostgreSQL topology (primary, timeline, LSN) in the state machine (bridge).
    case updateTopology = 11
    /// Turn debug logging on or off (`pgraft_set_debug`).
    case setDebug = 12

    /// The architecture's upper-case name, e.g. "KV_PUT".
    public var description: String {
        switch self {
        case .initCluster: return "INIT"
        case .addNode: return "ADD_NODE"
        case .removeNode: return "REMOVE_NODE"
        case .logAppend: return "LOG_APPEND"
        case .kvPut: return "KV_PUT"
        case .kvDelete: return "KV_DELETE"
        case .transferLeader: return "TRANSFER_LEADER"
        case .addLearner: return "ADD_LEARNER"
        case .promoteLearner: return "PROMOTE_LEARNER"
        case .readIndex: return "READ_INDEX"
        case .updateTopology: return "UPDATE_TOPOLOGY"
        case .setDebug: return "SET_DEBUG"
        }
    }
}

/// What a node does when it starts with an empty `data_dir` (`initial_cluster_state`).
public enum InitialClusterState: String, Sendable, Equatable, CaseIterable {
    /// Found a new cluster whose voters are the `members` list, as every founding member does alike.
    case new
    /// Join a running cluster: wait until a member adds this node (`pgraftctl cluster add-node`)
    /// and learn the log and the membership from the leader.
    case existing
}

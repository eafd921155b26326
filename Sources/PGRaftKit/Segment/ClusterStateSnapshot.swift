/// The cluster as this node's consensus sees it: one consistent record, published as a whole.
///
/// Writer: consensus (`SharedSegment.publishClusterState(_:)`); readers: everyone
/// (`SharedSegment.readClusterState()`). Before consensus publishes, readers get the zero value
/// (`init()`): term 0, no leader, follower, no members.
public struct ClusterStateSnapshot: Sendable, Equatable {
    /// The current term.
    public var term: UInt64
    /// The leader's node id; 0 when unknown.
    public var leaderId: UInt64
    /// This node's role.
    public var role: NodeRole
    /// Highest index known committed.
    public var commitIndex: UInt64
    /// Highest index applied to the state machine.
    public var appliedIndex: UInt64
    /// Last index in this node's log.
    public var lastIndex: UInt64
    /// Index of the latest snapshot.
    public var snapshotIndex: UInt64
    /// The membership, in the order consensus lists it (at most the layout's `maxMembers`).
    public var members: [ClusterMember]

    /// A cluster state (all zero by default).
    public init(
        term: UInt64 = 0, leaderId: UInt64 = 0, role: NodeRole = .follower, commitIndex: UInt64 = 0,
        appliedIndex: UInt64 = 0, lastIndex: UInt64 = 0, snapshotIndex: UInt64 = 0, members: [ClusterMember] = []
    ) {
        self.term = term
        self.leaderId = leaderId
        self.role = role
        self.commitIndex = commitIndex
        self.appliedIndex = appliedIndex
        self.lastIndex = lastIndex
        self.snapshotIndex = snapshotIndex
        self.members = members
    }
}

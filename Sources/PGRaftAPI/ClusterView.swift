import PGRaftKit

/// The cluster as `GET /v1/cluster` and `pgraftctl cluster status --json` show it: this node's view,
/// read from the cluster state consensus publishes in the segment.
public struct ClusterView: Encodable, Sendable, Equatable {
    /// The cluster's name.
    public var clusterName: String
    /// This node's id.
    public var nodeId: Int
    /// The current term.
    public var term: UInt64
    /// The leader's id; nil when none is known.
    public var leaderId: UInt64?
    /// This node's role ("leader", "follower", ...).
    public var role: String
    /// Highest index known committed.
    public var commitIndex: UInt64
    /// Highest index applied.
    public var appliedIndex: UInt64
    /// Last index in this node's log.
    public var lastIndex: UInt64
    /// Index of the latest snapshot.
    public var snapshotIndex: UInt64
    /// The members.
    public var members: [MemberView]

    /// One member.
    public struct MemberView: Encodable, Sendable, Equatable {
        /// The node id.
        public var id: UInt64
        /// Its peer address.
        public var address: String
        /// "voter" or "learner".
        public var kind: String
        /// Highest index known replicated on it (the leader's view).
        public var matchIndex: UInt64
        /// Next index to send it (the leader's view).
        public var nextIndex: UInt64
        /// Entries it is behind the leader's last index; nil unless this node leads.
        public var lag: UInt64?
        /// Wall-clock ms since the epoch of its last message; nil when never heard from.
        public var lastContactMs: UInt64?

        enum CodingKeys: String, CodingKey {
            case id, address, kind, lag
            case matchIndex = "match_index"
            case nextIndex = "next_index"
            case lastContactMs = "last_contact_ms"
        }

        /// Writes `lag` and `last_contact_ms` as null when unknown, so every member has every key.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(address, forKey: .address)
            try c.encode(kind, forKey: .kind)
            try c.encode(matchIndex, forKey: .matchIndex)
            try c.encode(nextIndex, forKey: .nextIndex)
            try c.encode(lag, forKey: .lag)
            try c.encode(lastContactMs, forKey: .lastContactMs)
        }
    }

    enum CodingKeys: String, CodingKey {
        case term, role, members
        case clusterName = "cluster_name"
        case nodeId = "node_id"
        case leaderId = "leader_id"
        case commitIndex = "commit_index"
        case appliedIndex = "applied_index"
        case lastIndex = "last_index"
        case snapshotIndex = "snapshot_index"
    }

    /// Writes `leader_id` as null when no leader is known.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clusterName, forKey: .clusterName)
        try c.encode(nodeId, forKey: .nodeId)
        try c.encode(term, forKey: .term)
        try c.encode(leaderId, forKey: .leaderId)
        try c.encode(role, forKey: .role)
        try c.encode(commitIndex, forKey: .commitIndex)
        try c.encode(appliedIndex, forKey: .appliedIndex)
        try c.encode(lastIndex, forKey: .lastIndex)
        try c.encode(snapshotIndex, forKey: .snapshotIndex)
        try c.encode(members, forKey: .members)
    }

    /// The view of `state` from node `nodeId` of `clusterName`. Lag is the leader's last index minus
    /// the member's match index, known only when this node is the leader.
    public init(clusterName: String, nodeId: Int, state: ClusterStateSnapshot) {
        self.clusterName = clusterName
        self.nodeId = nodeId
        term = state.term
        leaderId = state.leaderId == 0 ? nil : state.leaderId
        role = state.role.description
        commitIndex = state.commitIndex
        appliedIndex = state.appliedIndex
        lastIndex = state.lastIndex
        snapshotIndex = state.snapshotIndex
        let leading = state.role == .leader
        members = state.members.map { member in
            MemberView(
                id: member.id, address: member.address, kind: member.kind == .learner ? "learner" : "voter",
                matchIndex: member.matchIndex, nextIndex: member.nextIndex,
                lag: leading ? state.lastIndex - min(member.matchIndex, state.lastIndex) : nil,
                lastContactMs: member.lastContactMs == 0 ? nil : member.lastContactMs)
        }
    }
}

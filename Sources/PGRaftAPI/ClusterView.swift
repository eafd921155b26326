import PGRaftBridge
import PGRaftKit

/// The cluster as `GET /v1/cluster` and `pgraftctl cluster status --json` show it: this node's view,
/// read from the cluster state consensus publishes in the segment.
///
/// `GET /v1/cluster` also joins the PostgreSQL side (``joined(with:local:)``): the recorded primary,
/// each member's server as its bridge recorded it, this node's server as the segment shows it. A view
/// from the segment alone (`pgraftctl cluster status`) has none of those keys.
public struct ClusterView: Codable, Sendable, Equatable {
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
    /// The PostgreSQL side; nil in a view from the segment alone.
    public var postgres: PostgresSide?

    /// The PostgreSQL side of the cluster, as `/v1/cluster` shows it.
    public struct PostgresSide: Sendable, Equatable {
        /// The recorded primary (`pgraft/topology`); nil when none is recorded or it could not be read.
        public var topology: TopologyView?
        /// This node's server, from the segment; nil when the bridge has published nothing.
        public var local: PostgresView?
        /// Why the bridges' records could not be read (then no member has a `postgres` object); nil
        /// when they were.
        public var error: String?

        /// A side with the given parts.
        public init(topology: TopologyView?, local: PostgresView?, error: String?) {
            self.topology = topology
            self.local = local
            self.error = error
        }
    }

    /// One member.
    public struct MemberView: Codable, Sendable, Equatable {
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
        /// Its server as its bridge last recorded it (`pgraft/status/<id>`); nil when there is no
        /// record, or the view has no PostgreSQL side.
        public var postgres: MemberPostgresView?

        enum CodingKeys: String, CodingKey {
            case id, address, kind, lag, postgres
            case matchIndex = "match_index"
            case nextIndex = "next_index"
            case lastContactMs = "last_contact_ms"
        }

        /// Writes `lag` and `last_contact_ms` as null when unknown, so every member has every key
        /// (`postgres` is written by a view with a PostgreSQL side).
        public func encode(to encoder: Encoder) throws {
            try encode(to: encoder, withPostgres: false)
        }

        /// Writes the member, with its `postgres` object (null when none) when `withPostgres`.
        func encode(to encoder: Encoder, withPostgres: Bool) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(address, forKey: .address)
            try c.encode(kind, forKey: .kind)
            try c.encode(matchIndex, forKey: .matchIndex)
            try c.encode(nextIndex, forKey: .nextIndex)
            try c.encode(lag, forKey: .lag)
            try c.encode(lastContactMs, forKey: .lastContactMs)
            if withPostgres { try c.encode(postgres, forKey: .postgres) }
        }
    }

    enum CodingKeys: String, CodingKey {
        case term, role, members, topology
        case localPostgres = "local_postgres"
        case postgresError = "postgres_error"
        case clusterName = "cluster_name"
        case nodeId = "node_id"
        case leaderId = "leader_id"
        case commitIndex = "commit_index"
        case appliedIndex = "applied_index"
        case lastIndex = "last_index"
        case snapshotIndex = "snapshot_index"
    }

    /// Writes `leader_id` as null when no leader is known; with a PostgreSQL side, `topology`,
    /// `local_postgres` and `postgres_error` (null when unknown or none) and each member's `postgres`.
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
        var list = c.nestedUnkeyedContainer(forKey: .members)
        for member in members { try member.encode(to: list.superEncoder(), withPostgres: postgres != nil) }
        if let postgres {
            try c.encode(postgres.topology, forKey: .topology)
            try c.encode(postgres.local, forKey: .localPostgres)
            try c.encode(postgres.error, forKey: .postgresError)
        }
    }

    /// Reads what ``encode(to:)`` writes (`pgraftctl list` reads `GET /v1/cluster` so): the view
    /// has a PostgreSQL side when any of its keys is present.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clusterName = try c.decode(String.self, forKey: .clusterName)
        nodeId = try c.decode(Int.self, forKey: .nodeId)
        term = try c.decode(UInt64.self, forKey: .term)
        leaderId = try c.decodeIfPresent(UInt64.self, forKey: .leaderId)
        role = try c.decode(String.self, forKey: .role)
        commitIndex = try c.decode(UInt64.self, forKey: .commitIndex)
        appliedIndex = try c.decode(UInt64.self, forKey: .appliedIndex)
        lastIndex = try c.decode(UInt64.self, forKey: .lastIndex)
        snapshotIndex = try c.decode(UInt64.self, forKey: .snapshotIndex)
        members = try c.decode([MemberView].self, forKey: .members)
        if c.contains(.topology) || c.contains(.localPostgres) || c.contains(.postgresError) {
            postgres = PostgresSide(
                topology: try c.decodeIfPresent(TopologyView.self, forKey: .topology),
                local: try c.decodeIfPresent(PostgresView.self, forKey: .localPostgres),
                error: try c.decodeIfPresent(String.self, forKey: .postgresError))
        }
    }

    /// This view with its PostgreSQL side: each member's `postgres` from its record in `records`
    /// (lag measured from the recorded primary's flushed position), the recorded primary, and
    /// `local`, this node's server from the segment.
    public func joined(with records: BridgeRecordsRead, local: PostgresView?) -> ClusterView {
        var view = self
        let read = records.records
        let primaryFlushed = read?.primaryFlushed
        for index in view.members.indices {
            view.members[index].postgres = read?.statuses[view.members[index].id].map { MemberPostgresView($0, primaryFlushed: primaryFlushed) }
        }
        view.postgres = PostgresSide(topology: read?.topology.map(TopologyView.init), local: local, error: records.failure)
        return view
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

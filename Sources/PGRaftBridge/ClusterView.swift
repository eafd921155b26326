/// This node's view of the cluster, as its consensus and replicated state show it: the bridge core
/// decides from it together with what it observes of the local server.
public struct ClusterView: Sendable, Equatable {
    /// The current Raft term.
    public var term: UInt64
    /// The leader this node knows (0: none).
    public var leader: UInt64
    /// The voters.
    public var voters: [UInt64]
    /// Every member, voters and learners.
    public var members: [UInt64]
    /// The committed topology record (nil: none yet, a new cluster).
    public var topology: Topology?
    /// The key-value revision the topology record was last written at (0: never): a new record is
    /// written only if it is still this one (compare-and-set).
    public var topologyRevision: UInt64
    /// The latest report of each member.
    public var reports: [UInt64: MemberReport]

    /// A view.
    public init(
        term: UInt64, leader: UInt64, voters: [UInt64], members: [UInt64], topology: Topology?, topologyRevision: UInt64,
        reports: [UInt64: MemberReport]
    ) {
        self.term = term
        self.leader = leader
        self.voters = voters
        self.members = members
        self.topology = topology
        self.topologyRevision = topologyRevision
        self.reports = reports
    }

    /// How many voters make a majority.
    public var majority: Int { voters.count / 2 + 1 }
}

/// What a follower knows beyond the shared node state.
public struct FollowerState: Sendable, Equatable {
    /// The leader of the current term, once heard from.
    public var leader: NodeID?

    /// Creates a follower state.
    public init(leader: NodeID?) { self.leader = leader }
}

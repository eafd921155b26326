/// The membership of a Raft group at one point of the log.
///
/// Every list is sorted ascending and free of duplicates, so iteration is deterministic.
///
/// Invariants (checked by ``ConfChanger``):
/// - a learner is never a voter of either half: `learners ∩ (voters ∪ votersOutgoing) = ∅`;
/// - `learnersNext ⊆ votersOutgoing` and `learnersNext ∩ learners = ∅`: a voter being
///   demoted stays a voter of the outgoing half until the joint configuration is left;
/// - outside a joint configuration `votersOutgoing`, `learnersNext` are empty and
///   `autoLeave` is false.
public struct ConfState: Sendable, Equatable {
    /// Voters of the incoming (or only) configuration.
    public var voters: [NodeID]
    /// Voters of the outgoing configuration; non-empty only while joint.
    public var votersOutgoing: [NodeID]
    /// Non-voting members that receive the log.
    public var learners: [NodeID]
    /// Outgoing voters that become learners when the joint configuration is left.
    public var learnersNext: [NodeID]
    /// Whether the leader proposes leaving the joint configuration by itself.
    public var autoLeave: Bool

    /// Creates a membership.
    public init(
        voters: [NodeID] = [], votersOutgoing: [NodeID] = [], learners: [NodeID] = [],
        learnersNext: [NodeID] = [], autoLeave: Bool = false
    ) {
        self.voters = Self.normalized(voters)
        self.votersOutgoing = Self.normalized(votersOutgoing)
        self.learners = Self.normalized(learners)
        self.learnersNext = Self.normalized(learnersNext)
        self.autoLeave = autoLeave
    }

    /// Whether this is a joint configuration (§4.3).
    public var isJoint: Bool { !votersOutgoing.isEmpty }

    /// The vote and commit arithmetic of this membership.
    public var quorum: JointConfig {
        JointConfig(incoming: MajorityConfig(voters), outgoing: MajorityConfig(votersOutgoing))
    }

    /// Whether `id` votes in either half.
    public func isVoter(_ id: NodeID) -> Bool {
        voters.contains(id) || votersOutgoing.contains(id)
    }

    /// Whether `id` is a learner (now or once the joint configuration is left).
    public func isLearner(_ id: NodeID) -> Bool {
        learners.contains(id)
    }

    /// Every member (voter of either half or learner), sorted.
    public var allMembers: [NodeID] {
        Self.normalized(voters + votersOutgoing + learners + learnersNext)
    }

    static func normalized(_ ids: [NodeID]) -> [NodeID] {
        var out = ids.sorted()
        var i = 1
        while i < out.count {
            if out[i] == out[i - 1] { out.remove(at: i) } else { i += 1 }
        }
        return out
    }
}

/// Applies membership changes to a copy of a ``ConfState`` and checks the invariants
/// documented there before returning it. Pure: no Raft state.
public enum ConfChanger {
    /// Returns the membership after `change`, or the reason it is refused.
    public static func apply(_ change: ConfChange, to conf: ConfState) throws(ConfChangeError) -> ConfState {
        if change.isLeaveJoint {
            return try leaveJoint(conf)
        }
        if conf.isJoint { throw .alreadyJoint }
        if change.isSimple {
            let next = applyChanges(change.changes, to: conf)
            let a = Set(conf.voters), b = Set(next.voters)
            if a.symmetricDifference(b).count > 1 { throw .moreThanOneVoterChanged }
            try check(next)
            return next
        }
        // Enter joint: the current voters become the outgoing half.
        var joint = conf
        joint.votersOutgoing = conf.voters
        joint = applyChanges(change.changes, to: joint)
        joint.autoLeave = change.transition == .auto
        if joint.votersOutgoing.isEmpty {
            // A joint change from an empty configuration degenerates to a simple one.
            joint.autoLeave = false
        }
        try check(joint)
        return joint
    }

    /// Leaves a joint configuration: the incoming half becomes the configuration.
    static func leaveJoint(_ conf: ConfState) throws(ConfChangeError) -> ConfState {
        guard conf.isJoint else { throw .notJoint }
        var out = conf
        out.learners = ConfState.normalized(conf.learners + conf.learnersNext)
        out.learnersNext = []
        out.votersOutgoing = []
        out.autoLeave = false
        try check(out)
        return out
    }

    static func applyChanges(_ changes: [ConfChange.Single], to conf: ConfState) -> ConfState {
        var voters = conf.voters, learners = conf.learners, next = conf.learnersNext
        for c in changes {
            let id = c.node
            switch c.operation {
            case .addVoter:
                learners.removeAll { $0 == id }
                next.removeAll { $0 == id }
                if !voters.contains(id) { voters.append(id) }
            case .addLearner:
                voters.removeAll { $0 == id }
                if conf.votersOutgoing.contains(id) {
                    // Still a voter of the outgoing half: becomes a learner on leaving joint.
                    if !next.contains(id) { next.append(id) }
                } else if !learners.contains(id) {
                    learners.append(id)
                }
            case .removeNode:
                voters.removeAll { $0 == id }
                learners.removeAll { $0 == id }
                next.removeAll { $0 == id }
            }
        }
        return ConfState(
            voters: voters, votersOutgoing: conf.votersOutgoing, learners: learners,
            learnersNext: next, autoLeave: conf.autoLeave)
    }

    /// Checks every invariant of ``ConfState``.
    public static func check(_ c: ConfState) throws(ConfChangeError) {
        if c.voters.isEmpty { throw .removesAllVoters }
        let voters = Set(c.voters).union(c.votersOutgoing)
        if !voters.isDisjoint(with: c.learners) {
            throw .invariantViolated("a learner is also a voter")
        }
        if !Set(c.learnersNext).isSubset(of: Set(c.votersOutgoing)) {
            throw .invariantViolated("a next learner is not an outgoing voter")
        }
        if !Set(c.learnersNext).isDisjoint(with: c.learners) {
            throw .invariantViolated("a next learner is already a learner")
        }
        if !c.isJoint && (!c.learnersNext.isEmpty || c.autoLeave) {
            throw .invariantViolated("joint-only state outside a joint configuration")
        }
    }
}

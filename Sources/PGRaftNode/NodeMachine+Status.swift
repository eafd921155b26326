import RaftCore

/// What the node shows outside: role, leader and term changes (counted and logged) and the
/// status the caller publishes.
extension NodeMachine {
    /// The least time between two publications that nothing forces, in ms.
    public static let publishIntervalMs: Int64 = 10

    /// Notes role, leader and term changes and publishes.
    mutating func observeRoleChanges() {
        guard let core else { return }
        let kind = core.role.kind
        let leader = core.leaderID
        var changed = publishDue
        if kind != observedRole {
            if kind == .preCandidate || (kind == .candidate && observedRole != .preCandidate) {
                out.append(.count(.elections))
            }
            log(.info, "role is now \(kind.rawValue)", [("term", "\(core.term)")])
            observedRole = kind
            changed = true
        }
        if leader != observedLeader {
            out.append(.count(.leaderChanges))
            log(.info, "leader is now \(leader.map { "node \($0)" } ?? "unknown")", [("term", "\(core.term)")])
            observedLeader = leader
            // A read round asked of the old leader gets no answer now.
            failReadRounds("the leader changed during the read; retry")
            checkWaiters()
            changed = true
        }
        if core.term != observedTerm {
            observedTerm = core.term
            changed = true
        }
        publish(force: changed)
    }

    /// Publishes the status (at most every `publishIntervalMs` unless `force`).
    private mutating func publish(force: Bool) {
        guard let core, force || now - lastPublishMs >= Self.publishIntervalMs else { return }
        publishDue = false
        lastPublishMs = now
        let conf = core.confState
        let members = conf.allMembers.map { id -> RaftStatus.Member in
            let progress = core.progress?[id]
            let isSelf = id == settings.id
            return RaftStatus.Member(
                id: id, address: address(of: id) ?? "", isLearner: conf.isLearner(id),
                matchIndex: isSelf ? core.log.stable : progress?.match ?? 0, nextIndex: isSelf ? core.log.lastIndex + 1 : progress?.next ?? 0)
        }
        let role: RaftStatus.Role
        switch core.role.kind {
        case .leader: role = .leader
        case _ where isNonMember: role = .nonMember
        case .candidate: role = .candidate
        case .preCandidate: role = .preCandidate
        case .follower: role = conf.isLearner(settings.id) ? .learner : .follower
        }
        logMembershipStanding(nonMember: role == .nonMember)
        out.append(
            .publish(
                RaftStatus(
                    term: core.term, leader: core.leaderID ?? 0, role: role, commitIndex: core.log.committed, appliedIndex: sm.appliedIndex,
                    lastIndex: core.log.lastIndex, snapshotIndex: core.log.snapshotIndex, members: members)))
    }
}

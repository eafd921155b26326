import CShims
import PGRaftKit
import RaftCore

/// What consensus shows outside: the cluster state in the shared segment (for `pgraftctl cluster
/// status`, the api and the bridge), its counters, and the operator's queued commands.
extension ConsensusNode {
    /// Notes role, leader and term changes (counting elections and leader changes) and publishes.
    func observeRoleChanges() {
        guard let core else { return }
        let kind = core.role.kind
        let leader = core.leaderID
        var changed = false
        if kind != observedRole {
            if kind == .preCandidate || (kind == .candidate && observedRole != .preCandidate) {
                counters?.increment(.elections)
            }
            logger.info("role is now \(kind.rawValue)", metadata: ["term": "\(core.term)"])
            observedRole = kind
            changed = true
        }
        if leader != observedLeader {
            counters?.increment(.leaderChanges)
            logger.info("leader is now \(leader.map { "node \($0)" } ?? "unknown")", metadata: ["term": "\(core.term)"])
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

    /// Writes the cluster state into the segment (at most every 10 ms unless `force`).
    func publish(force: Bool) {
        guard let segment, let core else { return }
        let now = Self.nowMs()
        guard force || now - lastPublishMs >= 10 else { return }
        lastPublishMs = now
        let conf = core.confState
        let ids = conf.allMembers
        let wallNow = UInt64(max(0, pgr_wall_ms()))
        let members = ids.map { id -> ClusterMember in
            let progress = core.progress?[id]
            let isSelf = id == settings.nodeId
            return ClusterMember(
                id: id, address: address(of: id) ?? "", kind: conf.isLearner(id) ? .learner : .voter,
                matchIndex: isSelf ? core.log.stable : progress?.match ?? 0, nextIndex: isSelf ? core.log.lastIndex + 1 : progress?.next ?? 0,
                lastContactMs: isSelf ? wallNow : UInt64(max(0, lastContactMs[id] ?? 0)))
        }
        let role: NodeRole
        switch core.role.kind {
        case .leader: role = .leader
        case _ where isNonMember: role = .nonMember
        case .candidate: role = .candidate
        case .preCandidate: role = .preCandidate
        case .follower: role = conf.isLearner(settings.nodeId) ? .learner : .follower
        }
        logMembershipStanding(nonMember: role == .nonMember)
        let state = ClusterStateSnapshot(
            term: core.term, leaderId: core.leaderID ?? 0, role: role, commitIndex: core.log.committed,
            appliedIndex: sm.appliedIndex, lastIndex: core.log.lastIndex, snapshotIndex: core.log.snapshotIndex, members: members)
        do {
            try segment.publishClusterState(state)
        } catch {
            logger.warning("cannot publish the cluster state: \(error)")
        }
    }

    /// Counts a message sent in the segment's counters.
    func count(sent message: Message) {
        guard let counters else { return }
        counters.increment(.messagesSent)
        switch message.kind {
        case .append: counters.increment(.appendsSent)
        case .vote, .preVote: counters.increment(.voteRequests)
        case .heartbeat: counters.increment(.heartbeats)
        case .snapshot: counters.increment(.snapshotsSent)
        default: break
        }
    }

    /// Counts a message received in the segment's counters.
    func count(received message: Message) {
        guard let counters else { return }
        counters.increment(.messagesReceived)
        switch message.kind {
        case .append: counters.increment(.appendsReceived)
        case .voteResponse, .preVoteResponse: if !message.reject { counters.increment(.votesGranted) }
        case .heartbeat: counters.increment(.heartbeats)
        default: break
        }
    }

    /// Takes the operator's commands from the segment's queue (`pgraftctl cluster add-node`, …) and
    /// publishes their status: PROCESSING, then COMPLETED with the index and term, or FAILED with why.
    func consumeCommandQueue() {
        guard let segment else { return }
        while let command = segment.dequeue() {
            if let status = segment.commandStatus(id: command.id), status.status.isFinal { continue }  // done before a restart
            guard let type = command.type, let request = try? ClientRequest.decode(command.payload), Self.matches(type, request.operation) else {
                counters?.increment(.commandsFailed)
                segment.setCommandStatus(
                    id: command.id, status: .failed,
                    errorMessage: "command type \(command.type.map { "\($0)" } ?? "\(command.rawType)") with a payload consensus cannot decode")
                continue
            }
            segment.setCommandStatus(id: command.id, status: .processing)
            logger.info("command from the queue", metadata: ["id": "\(command.id)", "type": "\(type)", "pid": "\(command.producerPid)"])
            let counters = self.counters
            handle(request.operation) { status, result in
                switch (status, result) {
                case (.ok, .written(_, let index, let term)):
                    segment.setCommandStatus(id: command.id, status: .completed, resultIndex: index, resultTerm: term)
                case (.ok, _):
                    segment.setCommandStatus(id: command.id, status: .completed)
                case (_, .message(let why)):
                    counters?.increment(.commandsFailed)
                    segment.setCommandStatus(id: command.id, status: .failed, errorMessage: why)
                default:
                    counters?.increment(.commandsFailed)
                    segment.setCommandStatus(id: command.id, status: .failed, errorMessage: "\(status)")
                }
            }
        }
    }

    /// Whether the queued command's type agrees with the operation its payload carries.
    static func matches(_ type: CommandType, _ operation: ClientOperation) -> Bool {
        switch (type, operation) {
        case (.addNode, .addNode), (.removeNode, .removeNode), (.transferLeader, .transferLeader), (.kvPut, .put),
            (.kvDelete, .delete), (.logAppend, .logAppend):
            return true
        default:
            return false
        }
    }
}

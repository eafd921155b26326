import PGRaftKit
import RaftCore

/// Membership changes, one at a time: a node joins as a learner and is promoted once it has caught
/// up; a leader that is removed hands leadership over first; transfers wait for the new leader.
extension ConsensusNode {
    /// Records that `peer` refuses (or accepts again) this node as a member, and publishes when
    /// that changes whether this node is a non-member.
    func noteMembershipRefusal(by peer: NodeID, refused: Bool) {
        let before = isNonMember
        if refused { refusedAsNonMemberBy[peer] = Self.nowMs() } else { refusedAsNonMemberBy[peer] = nil }
        if isNonMember != before { publish(force: true) }
    }

    /// How long a refusal counts without being repeated: a refused transport dials again at least
    /// every second.
    static let refusalMemoryMs: Int64 = 5000

    /// The peers whose refusal still counts.
    private var refusingPeers: [NodeID] {
        let now = Self.nowMs()
        return refusedAsNonMemberBy.filter { now - $0.value < Self.refusalMemoryMs }.keys.sorted()
    }

    /// Whether this node, unless it leads, is out of the membership: its applied configuration
    /// leaves it out, or more than half of the members it dials refuse it as a non-member. Only a
    /// dialling node hears refusals, and the transport dials the members with higher ids; so a node
    /// removed while it was down learns it on its return unless its id is the highest (see README).
    var isNonMember: Bool {
        guard let core, core.role.kind != .leader else { return false }
        let members = core.confState.allMembers
        guard !members.isEmpty else { return false }
        guard members.contains(settings.nodeId) else { return true }
        guard !refusedAsNonMemberBy.isEmpty else { return false }
        let dialled = Set(members.filter { $0 > settings.nodeId })
        let refusing = refusingPeers.filter { dialled.contains($0) }
        return !dialled.isEmpty && refusing.count * 2 > dialled.count
    }

    /// Logs when this node becomes a non-member, or a member again, as `nonMember` (the role being
    /// published) says.
    func logMembershipStanding(nonMember: Bool) {
        guard nonMember != publishedNonMember else { return }
        publishedNonMember = nonMember
        guard nonMember else {
            logger.info("this node is a member of the cluster again")
            return
        }
        if let core, !core.confState.allMembers.contains(settings.nodeId) {
            logger.warning("this node applied its own removal from the cluster; stop it with pgraftctl stop")
        } else {
            let peers = refusingPeers.map { "node \($0)" }.joined(separator: ", ")
            logger.warning(
                "\(peers) refuse this node as a non-member: it was removed from the cluster, or its addition has not reached them yet; a removed node can be stopped with pgraftctl stop")
        }
    }

    func addNode(_ id: NodeID, address newAddress: String, _ respond: @escaping Responder) {
        guard id >= 1, id <= NodeID(Int32.max) else {
            respond(.invalid, .message("node id \(id) is out of range 1…\(Int32.max)"))
            return
        }
        guard Member(id: Int(id), address: newAddress) != nil else {
            respond(.invalid, .message("address \"\(newAddress)\" is not host:port (IPv6 as [::1]:7001)"))
            return
        }
        let members = core!.confState.allMembers
        if members.contains(id) {
            if address(of: id) == newAddress {
                respond(.ok, .written(revision: 0, index: sm.appliedIndex, term: core!.term))
            } else {
                respond(.invalid, .message("node \(id) is already a member, at \(address(of: id) ?? "an unknown address")"))
            }
            return
        }
        do {
            _ = try core!.proposeConfChange(ConfChange([.init(.addLearner, id)]))
        } catch {
            refuse(error, respond)
            return
        }
        // Applied right after the change, so every member learns where the new one listens.
        _ = try? core!.propose(Command.setMemberAddress(node: id, address: newAddress).encode())
        logger.info("adding node as a learner", metadata: ["node": "\(id)", "address": "\(newAddress)"])
        wait(for: "adding node \(id)", respond) { node in
            guard node.sm.membership.allMembers.contains(id), node.sm.addresses[id] == newAddress else { return false }
            respond(.ok, .written(revision: 0, index: node.sm.appliedIndex, term: node.core?.term ?? 0))
            return true
        }
    }

    func removeNode(_ id: NodeID, _ respond: @escaping Responder) {
        guard core!.confState.allMembers.contains(id) else {
            respond(.invalid, .message("node \(id) is not a member (members: \(core!.confState.allMembers))"))
            return
        }
        let voters = core!.confState.voters
        if voters == [id] {
            respond(.invalid, .message("node \(id) is the only voter; a cluster cannot remove its last voter"))
            return
        }
        let leaving = core!.leaderID == id
        if leaving, let target = transferTarget(excluding: id) {
            // The leader's removal would leave the cluster without one for an election timeout:
            // hand leadership over first, then propose the removal to the new leader.
            core!.transferLeadership(to: target)
            logger.info("node \(id) leads: transferring leadership to node \(target) before removing it")
        }
        var lastTryMs: Int64 = 0
        let tryRemove: (ConsensusNode) -> Void = { node in
            guard let core = node.core, let leader = core.leaderID, leader != id || !leaving else { return }
            let now = Self.nowMs()
            guard now - lastTryMs >= node.settings.tickMs * 5 else { return }
            lastTryMs = now
            do {
                _ = try node.core!.proposeConfChange(ConfChange([.init(.removeNode, id)]))
                node.logger.info("removing node \(id)")
            } catch {
                node.logger.debug("removal of node \(id) waits: \(error)")
            }
        }
        tryRemove(self)
        wait(for: "removing node \(id)", respond) { node in
            guard node.sm.membership.allMembers.contains(id) else {
                respond(.ok, .written(revision: 0, index: node.sm.appliedIndex, term: node.core?.term ?? 0))
                return true
            }
            tryRemove(node)
            return false
        }
    }

    func transferLeader(to requested: NodeID, _ respond: @escaping Responder) {
        guard let leader = core!.leaderID else {
            refuse(.notLeader(leader: nil), respond)
            return
        }
        guard let target = requested == 0 ? transferTarget(excluding: leader) : requested else {
            respond(.invalid, .message("there is no other voter to hand leadership to"))
            return
        }
        guard core!.confState.isVoter(target) else {
            respond(.invalid, .message("node \(target) is not a voter (voters: \(core!.confState.voters))"))
            return
        }
        if leader == target {
            respond(.ok, .written(revision: 0, index: sm.appliedIndex, term: core!.term))
            return
        }
        core!.transferLeadership(to: target)
        logger.info("leadership transfer requested", metadata: ["from": "\(leader)", "to": "\(target)"])
        wait(for: "the leadership transfer to node \(target)", respond) { node in
            guard node.core?.leaderID == target else { return false }
            respond(.ok, .written(revision: 0, index: node.sm.appliedIndex, term: node.core?.term ?? 0))
            return true
        }
    }

    /// The voter to hand leadership to: the most up-to-date one the leader knows of, else this node, else any.
    func transferTarget(excluding excluded: NodeID) -> NodeID? {
        let candidates = core!.confState.voters.filter { $0 != excluded }
        if let progress = core!.progress {
            return candidates.max { (progress[$0]?.match ?? 0, $1) < (progress[$1]?.match ?? 0, $0) }
        }
        return candidates.contains(settings.nodeId) ? settings.nodeId : candidates.first
    }

    private func wait(for what: String, _ respond: @escaping Responder, check: @escaping (ConsensusNode) -> Bool) {
        if check(self) { return }
        waiters.append(StateWaiter(check: check, respond: respond, deadlineMs: Self.nowMs() + settings.requestTimeoutMs, what: what))
    }

    /// Runs every waiter's check; drops those that answered.
    func checkWaiters() {
        guard !waiters.isEmpty else { return }
        let current = waiters
        waiters = []
        let remaining = current.filter { !$0.check(self) }
        waiters = remaining + waiters
    }

    /// On the leader: promotes a learner whose log has reached the commit index (one change at a time).
    func promoteCaughtUpLearners() {
        guard let core, core.isLeader, let progress = core.progress, !core.confState.isJoint else { return }
        for learner in core.confState.learners {
            // Caught up: within one replication message of the commit index (under a steady write
            // load a learner is never exactly at it).
            guard let pr = progress[learner], pr.match > 0, pr.match + UInt64(settings.maxLogEntries) >= core.log.committed else { continue }
            if (try? self.core!.proposeConfChange(ConfChange([.init(.addVoter, learner)]))) != nil {
                logger.info("promoting learner to voter: it has caught up", metadata: ["node": "\(learner)", "match": "\(pr.match)"])
            }
            return
        }
    }

    /// Where node `id` listens for peers: from the state machine, else from the configuration.
    func address(of id: NodeID) -> String? {
        sm.addresses[id] ?? settings.configuredMembers.first { $0.id == id }?.address
    }

    /// Tells the transport whom to keep connected: every member with a known address. Sent when it
    /// changes (and on each transport connection).
    func announceMembers() {
        guard let transport, core != nil else { return }
        let list = sm.membership.allMembers.compactMap { id in address(of: id).map { (id: id, address: $0) } }
        guard !list.isEmpty, !list.elementsEqual(announcedMembers, by: { $0 == $1 }) else { return }
        announcedMembers = list
        outbox.write(Frame(type: HubFrameType.members, payload: HubMemberList(members: list).encoded()), to: transport)
    }
}

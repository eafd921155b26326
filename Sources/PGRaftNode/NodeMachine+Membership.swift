import PGRaftStateMachine
import RaftCore

/// Membership changes, one at a time: a node joins as a learner and is promoted once it has caught
/// up; a leader that is removed hands leadership over first; transfers wait for the new leader.
extension NodeMachine {
    /// How long a refusal counts without being repeated: a refused transport dials again at least
    /// every second.
    public static let refusalMemoryMs: Int64 = 5000

    /// Records that `peer` refuses (or accepts again) this node as a member; publishes when that
    /// changes whether this node is a non-member.
    mutating func noteMembershipRefusal(by peer: NodeID, refused: Bool) {
        let before = isNonMember
        refusedAsNonMemberBy[peer] = refused ? now : nil
        if isNonMember != before { publishDue = true }
    }

    /// The peers whose refusal still counts.
    private var refusingPeers: [NodeID] {
        refusedAsNonMemberBy.filter { now - $0.value < Self.refusalMemoryMs }.keys.sorted()
    }

    /// Whether this node, unless it leads, is out of the membership: its applied configuration
    /// leaves it out, or more than half of the members it dials refuse it as a non-member. Only a
    /// dialling node hears refusals, and the transport dials the members with higher ids; so a
    /// node removed while it was down learns it on its return unless its id is the highest.
    public var isNonMember: Bool {
        guard let core, core.role.kind != .leader else { return false }
        let conf = core.confState
        let me = settings.id
        if !(conf.voters.contains(me) || conf.learners.contains(me) || conf.votersOutgoing.contains(me) || conf.learnersNext.contains(me)) {
            return !(conf.voters.isEmpty && conf.learners.isEmpty && conf.votersOutgoing.isEmpty && conf.learnersNext.isEmpty)
        }
        guard !refusedAsNonMemberBy.isEmpty else { return false }
        let dialled = Set(conf.allMembers.filter { $0 > me })
        let refusing = refusingPeers.filter { dialled.contains($0) }
        return !dialled.isEmpty && refusing.count * 2 > dialled.count
    }

    /// Logs when this node becomes a non-member, or a member again.
    mutating func logMembershipStanding(nonMember: Bool) {
        guard nonMember != publishedNonMember else { return }
        publishedNonMember = nonMember
        guard nonMember else { return log(.info, "this node is a member of the cluster again") }
        log(.warning, nonMemberExplanation + "; a removed node can be stopped with pgraftctl stop")
    }

    /// Why this node counts as a non-member, in a sentence (for the log and for clients).
    var nonMemberExplanation: String {
        if let core, !core.confState.allMembers.contains(settings.id) {
            return "this node applied its own removal from the cluster"
        }
        let peers = refusingPeers.map { "node \($0)" }.joined(separator: ", ")
        return "\(peers) refuse this node as a non-member: it was removed from the cluster, or its addition has not reached them yet"
    }

    /// Adds `node` at `newAddress` (checked as `host:port` by the caller, which parses requests).
    mutating func addNode(_ node: NodeID, address newAddress: String, _ id: RequestID) {
        guard node >= 1, node <= NodeID(Int32.max) else {
            return reply(id, .invalid, .message("node id \(node) is out of range 1…\(Int32.max)"))
        }
        let adding = Waiter(
            request: id, goal: .added(id: node, address: newAddress, lastTryMs: now), deadlineMs: now + settings.requestTimeoutMs, what: "adding node \(node)")
        if core!.confState.allMembers.contains(node) {
            if address(of: node) == newAddress {
                reply(id, .ok, .written(revision: 0, index: sm.appliedIndex, term: core!.term))
            } else if address(of: node) == nil {
                // Added, but the entry with its address was lost with a leader change: an
                // operator's retry records it. Only the leader decides (a lagging follower may not
                // have applied the entry yet), and the state machine sets an address only once.
                guard core!.isLeader else { return refuse(.notLeader(leader: core!.leaderID), id) }
                do {
                    try proposeAddress(of: node, newAddress)
                } catch {
                    return refuse(error, id)
                }
                wait(adding)
            } else {
                reply(id, .invalid, .message("node \(node) is already a member, at \(address(of: node) ?? "an unknown address")"))
            }
            return
        }
        do {
            _ = try core!.proposeConfChange(ConfChange([.init(.addLearner, node)]))
        } catch {
            return refuse(error, id)
        }
        // Applied right after the change, so every member learns where the new one listens.
        try? proposeAddress(of: node, newAddress)
        log(.info, "adding node as a learner", [("node", "\(node)"), ("address", newAddress)])
        wait(adding)
    }

    /// Proposes the entry that records where `node` listens.
    private mutating func proposeAddress(of node: NodeID, _ address: String) throws(ProposalError) {
        _ = try core!.propose(Command.setMemberAddress(node: node, address: address).encode())
    }

    mutating func removeNode(_ node: NodeID, _ id: RequestID) {
        guard core!.confState.allMembers.contains(node) else {
            return reply(id, .invalid, .message("node \(node) is not a member (members: \(core!.confState.allMembers))"))
        }
        if core!.confState.voters == [node] {
            return reply(id, .invalid, .message("node \(node) is the only voter; a cluster cannot remove its last voter"))
        }
        let leaving = core!.leaderID == node
        if leaving, let target = transferTarget(excluding: node) {
            // The leader's removal would leave the cluster without one for an election timeout:
            // hand leadership over first, then propose the removal to the new leader.
            core!.transferLeadership(to: target)
            log(.info, "node \(node) leads: transferring leadership to node \(target) before removing it")
        }
        wait(
            Waiter(
                request: id, goal: .removed(id: node, leaving: leaving, lastTryMs: Int64.min / 2), deadlineMs: now + settings.requestTimeoutMs,
                what: "removing node \(node)"))
    }

    mutating func transferLeader(to requested: NodeID, _ id: RequestID) {
        guard let leader = core!.leaderID else { return refuse(.notLeader(leader: nil), id) }
        guard let target = requested == 0 ? transferTarget(excluding: leader) : requested else {
            return reply(id, .invalid, .message("there is no other voter to hand leadership to"))
        }
        guard core!.confState.isVoter(target) else {
            return reply(id, .invalid, .message("node \(target) is not a voter (voters: \(core!.confState.voters))"))
        }
        if leader == target {
            return reply(id, .ok, .written(revision: 0, index: sm.appliedIndex, term: core!.term))
        }
        core!.transferLeadership(to: target)
        log(.info, "leadership transfer requested", [("from", "\(leader)"), ("to", "\(target)")])
        wait(Waiter(request: id, goal: .leads(target: target), deadlineMs: now + settings.requestTimeoutMs, what: "the leadership transfer to node \(target)"))
    }

    /// The voter to hand leadership to: the most up-to-date one the leader knows of, else this node, else any.
    func transferTarget(excluding excluded: NodeID) -> NodeID? {
        let candidates = core!.confState.voters.filter { $0 != excluded }
        if let progress = core!.progress {
            return candidates.max { (progress[$0]?.match ?? 0, $1) < (progress[$1]?.match ?? 0, $0) }
        }
        return candidates.contains(settings.id) ? settings.id : candidates.first
    }

    private mutating func wait(_ waiter: Waiter) {
        var waiter = waiter
        if !reached(&waiter) { waiters.append(waiter) }
    }

    /// Checks every waiter; answers and drops those whose goal is reached.
    mutating func checkWaiters() {
        guard !waiters.isEmpty else { return }
        var remaining: [Waiter] = []
        for var waiter in waiters where !reached(&waiter) { remaining.append(waiter) }
        waiters = remaining
    }

    /// Whether `waiter`'s goal is reached (then it is answered); a removal, or the address of an
    /// added node, is proposed again meanwhile until it is in the log.
    private mutating func reached(_ waiter: inout Waiter) -> Bool {
        guard let core else { return false }
        let done: Bool
        switch waiter.goal {
        case .added(let node, let address, let lastTryMs):
            let member = sm.membership.allMembers.contains(node)
            done = member && sm.addresses[node] == address
            if member, self.address(of: node) == nil, core.isLeader, now - lastTryMs >= settings.tickMs * 5 {
                waiter.goal = .added(id: node, address: address, lastTryMs: now)
                if (try? proposeAddress(of: node, address)) != nil { log(.info, "recording the address of node \(node) again", [("address", address)]) }
            }
        case .leads(let target):
            done = core.leaderID == target
        case .removed(let node, let leaving, let lastTryMs):
            done = !sm.membership.allMembers.contains(node)
            if !done, let leader = core.leaderID, leader != node || !leaving, now - lastTryMs >= settings.tickMs * 5 {
                waiter.goal = .removed(id: node, leaving: leaving, lastTryMs: now)
                do {
                    _ = try self.core!.proposeConfChange(ConfChange([.init(.removeNode, node)]))
                    log(.info, "removing node \(node)")
                } catch {
                    log(.debug, "removal of node \(node) waits: \(error)")
                }
            }
        }
        if done { reply(waiter.request, .ok, .written(revision: 0, index: sm.appliedIndex, term: core.term)) }
        return done
    }

    /// On the leader: promotes a learner whose log has reached the commit index (one change at a time).
    mutating func promoteCaughtUpLearners() {
        guard let core, core.isLeader, let progress = core.progress, !core.confState.isJoint else { return }
        for learner in core.confState.learners {
            // Caught up: within one replication message of the commit index (under a steady write
            // load a learner is never exactly at it).
            guard let pr = progress[learner], pr.match > 0, pr.match + UInt64(settings.raft.maxEntriesPerMessage) >= core.log.committed else { continue }
            if (try? self.core!.proposeConfChange(ConfChange([.init(.addVoter, learner)]))) != nil {
                log(.info, "promoting learner to voter: it has caught up", [("node", "\(learner)"), ("match", "\(pr.match)")])
            }
            return
        }
    }

    /// Where node `id` listens for peers: from the state machine, else from the configuration.
    public func address(of id: NodeID) -> String? {
        sm.addresses[id] ?? settings.configuredMembers.first { $0.id == id }?.address
    }

    /// Tells the transport whom to keep connected, when that changes: every member, with its address
    /// ("" when it is not known: the transport then accepts its greeting but cannot dial it).
    mutating func announceMembers() {
        guard core != nil else { return }
        let list = sm.membership.allMembers.map { id in NodeAddress(id: id, address: address(of: id) ?? "") }
        guard !list.isEmpty, list != announcedMembers else { return }
        announcedMembers = list
        out.append(.announceMembers(list))
    }
}

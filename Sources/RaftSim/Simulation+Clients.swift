import PGRaftClient
import PGRaftNode
import PGRaftStateMachine
import RaftCore

/// Clients: each issues one operation at a time to a node, as a real client does over the api,
/// and is answered by the node machine's reply, exactly as a real client is.
extension Simulation {
    static let keys = ["k0", "k1", "k2", "k3"]

    mutating func clientsStep() {
        for c in clients.indices {
            if let op = clients[c].op {
                if now >= clients[c].deadline {
                    // No answer in time: a write may still take effect; a read is simply abandoned.
                    note("client \(c) times out on op \(op)")
                    resolve(c, history[op].kind.isRead ? .failed : .unknown)
                    clients[c].leaderHint = nil
                    continue
                }
                if let attempt = clients[c].attempt, history[op].kind.isRead, now >= clients[c].attemptDeadline {
                    // This node did not answer: ask another one (a read can be retried safely). A
                    // node can stay silent for ever: a learner removed while it was cut off never
                    // hears of its removal and forwards reads to a leader that is gone.
                    clients[c].avoid = attempt.node
                    clients[c].attempt = nil
                    clients[c].leaderHint = nil
                    submit(c)
                    continue
                }
                if clients[c].attempt == nil && now >= clients[c].nextAt { submit(c) }
            } else if now >= clients[c].nextAt {
                newOperation(c)
            }
        }
    }

    mutating func newOperation(_ c: Int) {
        let key = Self.keys[random(Self.keys.count)]
        clients[c].seq += 1
        let value = Array("c\(c)-\(clients[c].seq)".utf8)
        let kind: HistoryOp.Kind
        switch random(20) {
        case 0..<8: kind = .put(key: key, value: value)
        case 8..<10: kind = .delete(key: key)
        case 10..<13: kind = .compareAndSet(key: key, expected: clients[c].seenRevision[key] ?? 0, value: value)
        default: kind = .read(key: key)
        }
        history.append(HistoryOp(client: c, kind: kind, invoke: now))
        clients[c].op = history.count - 1
        clients[c].deadline = now + opTimeout
        submit(c)
    }

    /// Sends the client's operation to the node it believes leads (or a random running one).
    mutating func submit(_ c: Int) {
        guard let op = clients[c].op else { return }
        let up = nodes.indices.filter { nodes[$0].isUp }
        guard !up.isEmpty else {
            clients[c].nextAt = now + 10
            return
        }
        var pick = random(up.count)
        if nodes[up[pick]].id == clients[c].avoid { pick = (pick + 1) % up.count }
        var target = up[pick]
        if let h = clients[c].leaderHint, Int(h - 1) < nodes.count, nodes[Int(h - 1)].isUp, chance(90) {
            target = Int(h - 1)
        }
        let operation: ClientOperation
        switch history[op].kind {
        // A listing of the key's own name (no key has another as prefix) answers with the store
        // revision even when the key is absent, which the linearizability check needs.
        case .read(let k): operation = .list(prefix: k, linearizable: true)
        case .put(let k, let v): operation = .put(key: k, value: v)
        case .delete(let k): operation = .delete(key: k)
        case .compareAndSet(let k, let e, let v): operation = .compareAndSet(key: k, expectedRevision: e, value: v)
        }
        lastRequest += 1
        let request = lastRequest
        clients[c].attempt = (request, nodes[target].id)
        history[op].lastAsked = nodes[target].id
        history[op].askedLeader = nodes[target].core?.isLeader ?? false
        clients[c].attemptDeadline = now + 250
        requestClient[request] = c
        note("client \(c) asks n\(nodes[target].id) to \(history[op].kind.text) (request \(request))")
        feed(target, .request(request, operation))
    }

    /// A node answered a request.
    mutating func answered(_ reply: NodeReply, by node: SimNode) {
        if answeredBridge(reply) { return }
        guard let c = requestClient.removeValue(forKey: reply.id), let attempt = clients[c].attempt, attempt.request == reply.id,
            let op = clients[c].op
        else { return }
        clients[c].attempt = nil
        switch (reply.status, reply.result) {
        case (.ok, .written(let revision, let index, let term)):
            acked.append((index, term))
            resolve(c, .wrote(revision: revision))
        case (.ok, .unchanged(let revision, let modRevision, _, _)):
            resolve(c, .observedRevision(point: revision, modRevision: modRevision))
        case (.ok, .records(let records, let revision)):
            let record = records.first { $0.key == history[op].kind.key }
            resolve(c, .observed(point: revision, value: record?.value, modRevision: record?.modRevision ?? 0))
        case (.noLeader, _):
            clients[c].leaderHint = node.machine?.leaderID
            clients[c].nextAt = now + 3
        case (.unavailable, _):
            clients[c].nextAt = now + 20
        case (.notMember, _):
            // This node cannot serve: ask another one at once.
            clients[c].avoid = node.id
            clients[c].leaderHint = nil
            clients[c].nextAt = now + 1
        case (.timedOut, _):
            resolve(c, history[op].kind.isRead ? .failed : .unknown)
        default:
            note("client \(c) op \(op) answered \(reply.status) \(reply.result)")
            resolve(c, .failed)
        }
    }

    /// Ends the client's operation with `outcome`.
    mutating func resolve(_ c: Int, _ outcome: HistoryOp.Outcome) {
        guard let op = clients[c].op else { return }
        history[op].outcome = outcome
        switch outcome {
        case .wrote(let rev):
            history[op].response = now
            clients[c].avoid = nil
            clients[c].seenRevision[history[op].kind.key] = rev
        case .observed(_, _, let rev), .observedRevision(_, let rev):
            history[op].response = now
            clients[c].avoid = nil
            clients[c].seenRevision[history[op].kind.key] = rev
        case .pending, .unknown, .failed:
            break
        }
        note("client \(c) op \(op) \(history[op].kind.text) -> \(outcome.text)")
        clients[c].op = nil
        clients[c].attempt = nil
        clients[c].nextAt = now + 1 + random(20)
    }

    // MARK: - Liveness

    mutating func trackLiveness() {
        // Established: an entry of its term committed and no membership change under way (leaving
        // a joint configuration may still remove this leader).
        if leaderAfterHealAt == nil, let l = currentLeader(), let r = nodes[l].core, r.log.term(r.log.committed) == r.term,
            !r.confState.isJoint, case .leader(let ls) = r.role, ls.pendingConfIndex <= r.log.applied
        {
            leaderAfterHealAt = now
            note("liveness: leader n\(r.id) established after heal")
        }
        if now % tickEvery == 0 { leaveJointIfNeeded() }
        let end = options.steps + options.healSteps
        if now == end - min(1500, options.healSteps / 2), let l = currentLeader() {
            commitToReach = nodes[l].core!.log.committed
        }
    }

    mutating func checkLiveness() {
        guard options.healSteps > 0 else { return }
        let end = options.steps + options.healSteps
        // Without pre-vote Raft bounds no recovery time (§9.6): a voter whose log is behind can
        // claim each new term by voting for itself before the one node that could win asks it,
        // until the random timers part them (seed 79242: 3.1 s). pgraft-consensus always runs
        // pre-vote; the runs without it are held to safety and to electing a leader before the
        // healed phase ends, and to the rest once their leader comes within the usual bound.
        guard let at = leaderAfterHealAt else {
            livenessFailure = "no leader after the faults healed"
            return
        }
        guard at <= healStart + 2000 else {
            if raftConfig.preVote { livenessFailure = "no leader within 2000 ms after the faults healed" }
            return
        }
        let members = currentLeader().map { nodes[$0].core!.confState.allMembers } ?? []
        for (i, op) in history.enumerated() where op.invoke >= at + 300 && op.invoke <= end - opTimeout - 200 {
            // Without check-quorum a leader removed while it was cut off leads on alone for ever:
            // the members' transports refuse it, so it never hears the term that replaced it
            // (pgraft-consensus always runs check-quorum, which steps it down). What it took is not
            // held against the cluster.
            if !raftConfig.checkQuorum, op.askedLeader, let asked = op.lastAsked, !members.contains(asked) { continue }
            if op.response == nil {
                livenessFailure = "op \(i) of client \(op.client) issued at \(op.invoke), after healing, got no answer (\(op.outcome))"
                return
            }
        }
        guard let target = commitToReach, let l = currentLeader() else {
            livenessFailure = "no leader at the end"
            return
        }
        for id in nodes[l].core!.confState.allMembers {
            let i = Int(id - 1)
            guard nodes[i].isUp else {
                livenessFailure = "member \(id) is not running at the end"
                return
            }
            let applied = nodes[i].sm?.appliedIndex ?? 0
            if applied < target {
                livenessFailure = "member \(id) applied \(applied) < \(target) long after healing"
                return
            }
        }
    }
}

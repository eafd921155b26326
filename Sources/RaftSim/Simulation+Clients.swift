import RaftCore

extension Simulation {
    static let keys = ["k0", "k1", "k2", "k3"]

    mutating func clientsStep() {
        for c in clients.indices {
            if let op = clients[c].op {
                if now >= clients[c].deadline {
                    // No answer in time: a write may still take effect; a read is simply abandoned.
                    let isRead = history[op].kind == .read(key: history[op].kind.key)
                    note("client \(c) times out on op \(op)")
                    resolveWrite(c, isRead ? .failed : .unknown)
                    clients[c].leaderHint = nil
                    continue
                }
                if clients[c].proposal == nil && now >= clients[c].attemptDeadline
                    && (clients[c].readAt != nil)
                {
                    // This node did not answer: ask another one (a read can be retried safely). A
                    // node can stay silent for ever: a learner removed while it was cut off never
                    // hears of its removal and forwards reads to a leader that is gone.
                    clients[c].avoid = clients[c].readAt?.node
                    clients[c].readAt = nil
                    clients[c].readIndex = nil
                    clients[c].leaderHint = nil
                    submit(c)
                    continue
                }
                if let ra = clients[c].readAt, let ri = clients[c].readIndex {
                    let i = Int(ra.node - 1)
                    if nodes[i].isUp && nodes[i].sm.appliedIndex >= ri {
                        let key = history[op].kind.key
                        let rec = nodes[i].sm.get(key)
                        resolveWrite(c, .observed(point: nodes[i].sm.revision, value: rec?.value, modRevision: rec?.modRevision ?? 0))
                    }
                    continue
                }
                if clients[c].proposal == nil && clients[c].readAt == nil && now >= clients[c].nextAt {
                    submit(c)
                }
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

    /// Sends the client's operation to the node it believes leads (or a random live one).
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
        let node = nodes[target].id
        let kind = history[op].kind
        clients[c].attemptDeadline = now + 250
        do {
            switch kind {
            case .read:
                token += 1
                var ctx: [UInt8] = []
                for s in stride(from: 0, to: 64, by: 8) { ctx.append(UInt8(truncatingIfNeeded: token >> UInt64(s))) }
                try nodes[target].raw!.readIndex(context: ctx)
                clients[c].readAt = (node, ctx)
                note("client \(c) reads \(kind.key) at n\(node)")
            default:
                let cmd: Command
                switch kind {
                case .put(let k, let v): cmd = .put(key: k, value: v)
                case .delete(let k): cmd = .delete(key: k)
                case .compareAndSet(let k, let e, let v): cmd = .compareAndSet(key: k, expectedRevision: e, value: v)
                case .read: preconditionFailure()
                }
                proposalSequence += 1
                let tagged = Command.request(origin: node, sequence: proposalSequence, command: cmd)
                let outcome = try nodes[target].raw!.propose(tagged.encode())
                if case .appended(let index, let term) = outcome {
                    clients[c].proposal = (node, index, term, proposalSequence)
                    note("client \(c) \(kind.text) appended at n\(node) index \(index) term \(term)")
                }
            }
            clients[c].leaderHint = node
        } catch .notLeader(let hint) {
            clients[c].leaderHint = hint
            clients[c].nextAt = now + 3
        } catch {
            clients[c].nextAt = now + 20
        }
    }

    mutating func deliverReadState(node: NodeID, _ rs: ReadState) {
        for c in clients.indices {
            if let ra = clients[c].readAt, ra.node == node, ra.context == rs.context {
                clients[c].readIndex = rs.index
            }
        }
    }

    /// Ends the client's operation with `outcome`.
    mutating func resolveWrite(_ c: Int, _ outcome: HistoryOp.Outcome) {
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
        clients[c].proposal = nil
        clients[c].readAt = nil
        clients[c].readIndex = nil
        clients[c].nextAt = now + 1 + random(20)
    }

    // MARK: - Liveness

    mutating func trackLiveness() {
        // Established: an entry of its term committed and no membership change under way (leaving
        // a joint configuration may still remove this leader).
        if leaderAfterHealAt == nil, let l = currentLeader(), let r = nodes[l].raw, r.log.term(r.log.committed) == r.term,
            !r.confState.isJoint, case .leader(let ls) = r.role, ls.pendingConfIndex <= r.log.applied
        {
            leaderAfterHealAt = now
            note("liveness: leader n\(r.id) established after heal")
        }
        if now % tickEvery == 0 { leaveJointIfNeeded() }
        let end = options.steps + options.healSteps
        if now == end - min(1500, options.healSteps / 2), let l = currentLeader() {
            commitToReach = nodes[l].raw!.log.committed
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
        for (i, op) in history.enumerated() where op.invoke >= at + 300 && op.invoke <= end - opTimeout - 200 {
            if op.response == nil {
                livenessFailure = "op \(i) of client \(op.client) issued at \(op.invoke), after healing, got no answer (\(op.outcome))"
                return
            }
        }
        guard let target = commitToReach, let l = currentLeader() else {
            livenessFailure = "no leader at the end"
            return
        }
        for id in nodes[l].raw!.confState.allMembers {
            let i = Int(id - 1)
            guard nodes[i].isUp else {
                livenessFailure = "member \(id) is not running at the end"
                return
            }
            if nodes[i].sm.appliedIndex < target {
                livenessFailure = "member \(id) applied \(nodes[i].sm.appliedIndex) < \(target) long after healing"
                return
            }
        }
    }
}

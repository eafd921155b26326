import RaftCore

extension Simulation {
    /// Starts one fault episode of an enabled kind.
    mutating func startFault() {
        let kinds = SimFault.allCases.filter {
            options.faults.contains($0) && $0 != .membership && $0 != .snapshot && $0 != .transfer
        }
        guard !kinds.isEmpty else { return }
        // Leader churn is the richest source of divergent logs: weigh it double.
        let weighted = kinds + kinds.filter { $0 == .isolateLeader }
        let f = weighted[random(weighted.count)]
        var e = Episode(fault: f, end: now + 100 + random(1400))
        let live = nodes.filter { !$0.removed }.map(\.id)
        switch f {
        case .loss:
            e.level = 2 + random(30)
        case .duplicate:
            e.level = 5 + random(30)
        case .reorder:
            e.level = 5 + random(30)
        case .delay:
            e.level = 20 + random(200)
        case .partition:
            var a: [NodeID] = []
            var b: [NodeID] = []
            for id in live { if chance(50) { a.append(id) } else { b.append(id) } }
            e.blocked = Self.cut(a, b, bothWays: true)
        case .oneWay:
            let a = live[random(live.count)]
            let b = live[random(live.count)]
            if a != b { e.blocked = [Self.link(a, b)] }
            if chance(50), let l = currentLeader() {
                // The leader's messages reach some followers but nothing comes back.
                e.blocked = Self.cut(live.filter { $0 != nodes[l].id }, [nodes[l].id], bothWays: false)
            }
        case .isolateLeader:
            // Cut the current leader off, and keep cutting off new leaders for a while (churn).
            e.level = 1
            if let l = currentLeader() {
                e.blocked = Self.cut([nodes[l].id], live.filter { $0 != nodes[l].id }, bothWays: true)
            }
        case .split:
            var shuffled = live
            for k in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(k, random(k + 1)) }
            let minority = Array(shuffled.prefix((shuffled.count - 1) / 2))
            e.blocked = Self.cut(minority, Array(shuffled.dropFirst(minority.count)), bothWays: true)
        case .crash:
            let up = nodes.indices.filter { nodes[$0].isUp }
            guard !up.isEmpty else { return }
            if chance(40) {
                // Power failure: every running node loses its unfinished writes at once.
                note("power failure")
                for i in up { crash(i, for: 20 + random(200)) }
                return
            }
            // The leader, or a node in the middle of a write (the moment a crash can lose what
            // the node already acted on), or any node.
            let writing = up.filter { nodes[$0].isWriting }
            var i = up[random(up.count)]
            if chance(30) {
                i = currentLeader() ?? i
            } else if !writing.isEmpty && chance(40) {
                i = writing[random(writing.count)]
            }
            crash(i, for: e.end - now)
            return
        case .storageRestart:
            // Storage alone restarts, in the middle of a write when it can.
            let up = nodes.indices.filter { nodes[$0].isUp && nodes[$0].storageUp }
            guard !up.isEmpty else { return }
            let writing = up.filter { nodes[$0].isWriting }
            let i = !writing.isEmpty && chance(70) ? writing[random(writing.count)] : up[random(up.count)]
            restartStorage(i, for: 5 + random(60))
            return
        case .slowDisk:
            e.level = 10 + random(150)
            e.disks = chance(30) ? Set(live) : [live[random(live.count)]]
        case .membership, .snapshot, .transfer:
            return
        }
        note("fault \(f.rawValue) until \(e.end)\(e.level > 0 ? " level \(e.level)" : "")\(e.blocked.isEmpty ? "" : " cutting \(Self.describe(e.blocked))")\(e.disks.isEmpty ? "" : " disks \(e.disks.sorted())")")
        episodes.append(e)
        applyEpisodes()
    }

    static func cut(_ a: [NodeID], _ b: [NodeID], bothWays: Bool) -> Set<UInt64> {
        var s: Set<UInt64> = []
        for x in a {
            for y in b {
                s.insert(link(x, y))
                if bothWays { s.insert(link(y, x)) }
            }
        }
        return s
    }

    static func describe(_ links: Set<UInt64>) -> String {
        links.sorted().map { "\($0 >> 32)->\($0 & 0xFFFF_FFFF)" }.joined(separator: ",")
    }

    mutating func endEpisodes() {
        let before = episodes.count
        episodes.removeAll { $0.end <= now }
        if episodes.count != before {
            note("faults ending; \(episodes.count) remain")
            applyEpisodes()
        }
    }

    mutating func applyEpisodes() {
        func level(_ f: SimFault) -> Int { episodes.filter { $0.fault == f }.map(\.level).max() ?? 0 }
        lossPercent = level(.loss)
        dupPercent = level(.duplicate)
        reorderSpread = level(.reorder)
        delaySpike = level(.delay)
        blocked = []
        for e in episodes { blocked.formUnion(e.blocked) }
        diskStall = [:]
        for e in episodes where e.fault == .slowDisk {
            for id in e.disks { diskStall[id] = max(diskStall[id] ?? 0, e.level) }
        }
    }

    /// Ends every fault and restarts crashed nodes: the liveness phase begins.
    mutating func heal() {
        healed = true
        healStart = now
        episodes = []
        applyEpisodes()
        for i in nodes.indices where !nodes[i].isUp && !nodes[i].removed {
            nodes[i].incarnation += 1
            restart(i)
        }
        for i in nodes.indices where nodes[i].isUp && !nodes[i].storageUp {
            nodes[i].storageUp = true
            feed(i, .storageConnected)
        }
        note("heal: all faults end")
        for node in nodes {
            guard let core = node.core else { continue }
            note("n\(node.id) \(core.role.kind) term \(core.term) leader \(core.leaderID.map { "n\($0)" } ?? "none") voters \(core.confState.voters.sorted()) learners \(core.confState.learners.sorted()) transport \(node.transportMembers.map { "\($0.sorted())" } ?? "not announced")")
        }
    }

    /// Operator actions while faults run: transfers and membership changes.
    mutating func clusterActions() {
        guard let l = currentLeader() else { return }
        let conf = nodes[l].core!.confState
        if options.faults.contains(.transfer) && oneIn(80) {
            let others = conf.voters.filter { $0 != nodes[l].id }
            if !others.isEmpty {
                let t = others[random(others.count)]
                note("transfer leadership n\(nodes[l].id) -> n\(t)")
                lastRequest += 1
                feed(l, .request(lastRequest, .transferLeader(id: t)))
            }
        }
        if options.faults.contains(.membership) && oneIn(40) && !conf.isJoint {
            membershipAction(leader: l, conf: conf)
        }
    }

    mutating func membershipAction(leader l: Int, conf: ConfState) {
        // A member whose address was lost with a leader change: the operator adds it again.
        if let sm = nodes[l].sm, let lost = sm.membership.allMembers.first(where: { $0 > NodeID(options.nodes) && sm.addresses[$0] == nil }) {
            note("n\(nodes[l].id) is asked again to add n\(lost), whose address it does not know")
            lastRequest += 1
            return feed(l, .request(lastRequest, .addNode(id: lost, address: "n\(lost):7000")))
        }
        let live = nodes.filter { !$0.removed }.count
        var change: ConfChange?
        switch random(5) {
        case 0:
            // Add a brand-new node as a learner, as pgraftctl does (with its address, which the
            // members' transports need to connect it).
            guard live < options.nodes + 3, nodes.count < 60 else { return }
            let id = NodeID(nodes.count + 1)
            nodes.append(SimNode(id: id, compactEvery: compactInterval()))
            boot(nodes.count - 1)
            note("n\(nodes[l].id) is asked to add n\(id) as a learner")
            lastRequest += 1
            feed(l, .request(lastRequest, .addNode(id: id, address: "n\(id):7000")))
            return
        case 1:
            guard !conf.learners.isEmpty else { return }
            change = ConfChange([.init(.addVoter, conf.learners[random(conf.learners.count)])])
        case 2:
            guard conf.voters.count > 3 else { return }
            change = ConfChange([.init(.removeNode, conf.voters[random(conf.voters.count)])])
        case 3:
            // Replace a voter by a learner through a joint configuration.
            guard !conf.learners.isEmpty, conf.voters.count >= 3 else { return }
            change = ConfChange([
                .init(.addVoter, conf.learners[random(conf.learners.count)]),
                .init(.removeNode, conf.voters[random(conf.voters.count)]),
            ], transition: chance(50) ? .auto : .explicit)
        default:
            // Demote a voter to learner (joint), if enough remain.
            guard conf.voters.count > 3 else { return }
            change = ConfChange([.init(.addLearner, conf.voters[random(conf.voters.count)])], transition: .explicit)
        }
        guard let change else { return }
        note("n\(nodes[l].id) is asked for membership change \(change.changes.map { "\($0.operation) \($0.node)" }) \(change.transition)")
        feed(l, .confChange(change))
    }

    /// Leaves an explicit joint configuration the simulation entered.
    mutating func leaveJointIfNeeded() {
        guard let l = currentLeader(), let core = nodes[l].core, core.confState.isJoint, !core.confState.autoLeave else { return }
        note("n\(nodes[l].id) is asked to leave the joint configuration")
        feed(l, .confChange(.leaveJoint))
    }
}

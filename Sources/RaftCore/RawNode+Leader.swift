extension RawNode {
    mutating func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        let me = id
        leader.progress.forEach { pr in
            if pr.id != me { pr.ticksSinceHeard += 1 }
        }
        // Cannot hear a quorum for an election timeout: step down so clients look elsewhere
        // (§6.2), at once rather than at the next round, so that a cut-off leader (and the
        // PostgreSQL primary it fences) stops within one election timeout of its last contact.
        if config.checkQuorum, !leader.progress.quorumActive(confState, selfID: id, within: config.electionTick) {
            becomeFollower(term: term, leader: nil)
            return
        }
        if electionElapsed >= config.electionTick {
            electionElapsed = 0
            if config.checkQuorum {
                leader.progress.forEach { pr in
                    if pr.id != me { pr.recentActive = false }
                }
            }
            // A transfer that did not finish within an election timeout is abandoned.
            leader.transferee = nil
        }
        // Retry snapshots whose message was lost.
        let limit = config.electionTick
        leader.progress.forEach { pr in
            if case .snapshot = pr.state {
                pr.snapshotTicks += 1
                if pr.snapshotTicks > limit { pr.becomeProbe() }
            }
        }
        if heartbeatElapsed >= config.heartbeatTick {
            heartbeatElapsed = 0
            broadcastHeartbeat(context: leader.readOnly.lastContext ?? [])
        }
    }

    /// Appends a proposal to the leader's log and starts replicating it.
    mutating func appendProposal(kind: Entry.Kind, data: [UInt8]) throws(ProposalError) -> UInt64 {
        if leader.transferee != nil { throw .transferInProgress }
        if kind == .confChange {
            guard let cc = ConfChange.decode(data) else {
                throw .confChangeRejected(.invariantViolated("undecodable change"))
            }
            if leader.pendingConfIndex > log.applied { throw .confChangePending }
            do {
                _ = try ConfChanger.apply(cc, to: confState)
            } catch {
                throw .confChangeRejected(error)
            }
        }
        let index = appendLocal(kind: kind, data: data)
        if kind == .confChange { leader.pendingConfIndex = index }
        // Sent when the next ready batch is collected, so proposals made meanwhile travel together.
        broadcastPending = true
        return index
    }

    /// Appends one entry of the current term; the leader's own acknowledgement comes when it is durable.
    @discardableResult
    mutating func appendLocal(kind: Entry.Kind, data: [UInt8]) -> UInt64 {
        let index = log.lastIndex + 1
        log.truncateAndAppend(CollectionOfOne(Entry(term: term, index: index, kind: kind, data: data)))
        return index
    }

    mutating func broadcastAppend() {
        let ids = leader.progress.members.map(\.id)
        for peer in ids where peer != id {
            // Fill the in-flight window (the first message may be empty, to carry the commit index).
            if maybeSendAppend(to: peer, sendIfEmpty: true) {
                while maybeSendAppend(to: peer, sendIfEmpty: false) {}
            }
        }
    }

    mutating func broadcastHeartbeat(context: [UInt8]) {
        let committed = log.committed
        for pr in leader.progress.members where pr.id != id {
            var m = Message(kind: .heartbeat, from: id, to: pr.id, term: term)
            m.commit = min(pr.match, committed)
            m.context = context
            msgs.append(m)
        }
    }

    /// Sends the next batch of entries to `peer` (or the snapshot if they were compacted away).
    /// Returns whether a message was sent.
    @discardableResult
    mutating func maybeSendAppend(to peer: NodeID, sendIfEmpty: Bool) -> Bool {
        guard let pr = leader.progress[peer], !pr.isPaused else { return false }
        let prevIndex = pr.next - 1
        guard let prevTerm = log.term(prevIndex) else {
            return sendSnapshot(to: peer, recentActive: pr.recentActive)
        }
        let entries: [Entry]
        if pr.next <= log.lastIndex {
            entries = log.slice(
                from: pr.next, through: log.lastIndex, maxCount: config.maxEntriesPerMessage,
                maxBytes: config.maxBytesPerMessage)
        } else {
            entries = []
        }
        if entries.isEmpty && !sendIfEmpty { return false }
        var bytes = 0
        for e in entries { bytes += e.byteSize }
        var m = Message(kind: .append, from: id, to: peer, term: term)
        m.index = prevIndex
        m.logTerm = prevTerm
        m.commit = log.committed
        let last = entries.last?.index
        m.entries = entries
        msgs.append(m)
        leader.progress.update(peer) { $0.sentEntries(last: last, bytes: bytes) }
        return true
    }

    mutating func sendSnapshot(to peer: NodeID, recentActive: Bool) -> Bool {
        // A member not heard from recently may be down: do not ship it a snapshot yet.
        guard recentActive else { return false }
        var m = Message(kind: .snapshot, from: id, to: peer, term: term)
        m.snapshot = log.snapshot
        msgs.append(m)
        let index = log.snapshotIndex
        leader.progress.update(peer) { $0.becomeSnapshot(index) }
        return true
    }

    /// Commits the highest index a quorum has durably, if it belongs to the current term
    /// (§3.6.2: earlier terms commit only indirectly). Returns whether the commit advanced.
    mutating func maybeCommit() -> Bool {
        let mci = min(leader.progress.committedIndex(confState), log.lastIndex)
        guard mci > log.committed else { return false }
        if !defects.contains(.commitPreviousTerm) && log.term(mci) != term { return false }
        log.commitTo(mci)
        serveReadsAwaitingCommit()
        return true
    }

    mutating func stepLeader(_ m: Message) {
        switch m.kind {
        case .appendResponse:
            handleAppendResponse(m)
        case .heartbeatResponse:
            handleHeartbeatResponse(m)
        case .propose:
            for e in m.entries {
                _ = try? appendProposal(kind: e.kind, data: e.data)
            }
        case .readIndex:
            handleReadIndexRequest(context: m.context, from: m.from)
        case .transferLeader:
            startTransfer(to: m.index)
        default:
            break
        }
    }

    mutating func handleAppendResponse(_ m: Message) {
        guard leader.progress[m.from] != nil else { return }
        leader.progress.update(m.from) {
            $0.recentActive = true
            $0.ticksSinceHeard = 0
        }
        if m.reject {
            // Fast backtracking: skip every entry of a term the follower does not have.
            var nextProbe = m.rejectHint
            if m.logTerm > 0 {
                nextProbe = log.findConflictByTerm(index: m.rejectHint, term: m.logTerm).index
            }
            let moved = leader.progress.update(m.from) { pr -> Bool in
                guard pr.maybeDecrTo(rejected: m.index, matchHint: nextProbe) else { return false }
                if pr.state == .replicate { pr.becomeProbe() }
                return true
            } ?? false
            if moved { maybeSendAppend(to: m.from, sendIfEmpty: true) }
            return
        }
        let firstIndex = log.firstIndex
        let (updated, wasPaused) = leader.progress.update(m.from) { pr -> (Bool, Bool) in
            let wasPaused = pr.isPaused
            guard pr.maybeUpdate(m.index) else { return (false, wasPaused) }
            switch pr.state {
            case .probe:
                pr.becomeReplicate()
            case .snapshot:
                if pr.match + 1 >= firstIndex {
                    pr.becomeProbe()
                    pr.becomeReplicate()
                }
            case .replicate:
                pr.inflights.freeLE(m.index)
            }
            return (true, wasPaused)
        } ?? (false, false)
        guard updated else { return }
        if maybeCommit() {
            broadcastAppend()
        } else if wasPaused {
            maybeSendAppend(to: m.from, sendIfEmpty: true)
        }
        while maybeSendAppend(to: m.from, sendIfEmpty: false) {}
        if leader.transferee == m.from, leader.progress[m.from]?.match == log.lastIndex {
            sendTimeoutNow(to: m.from)
        }
    }

    mutating func handleHeartbeatResponse(_ m: Message) {
        guard let pr0 = leader.progress[m.from] else { return }
        let last = log.lastIndex
        leader.progress.update(m.from) { pr in
            pr.recentActive = true
            pr.ticksSinceHeard = 0
            pr.probeSent = false
            if pr.state == .replicate && pr.inflights.isFull { pr.inflights.freeFirstOne() }
        }
        if pr0.match < last || pr0.state == .probe {
            maybeSendAppend(to: m.from, sendIfEmpty: true)
        }
        guard !m.context.isEmpty else { return }
        let quorum = confState.quorum
        let done = leader.readOnly.acknowledge(context: m.context, from: m.from, quorum: quorum)
        for r in done { answerRead(index: r.index, context: r.context, to: r.from) }
    }

    mutating func handleReadIndexRequest(context: [UInt8], from: NodeID) {
        // Until an entry of this term commits, the leader's commit index may be stale (§6.4):
        // also for a sole voter, whose commit index after a restart is only what it last saved.
        guard log.term(log.committed) == term else {
            leader.readsAwaitingCommit.append((context, from))
            return
        }
        // A sole voter is its own quorum.
        if confState.voters == [id] && !confState.isJoint {
            answerRead(index: log.committed, context: context, to: from)
            return
        }
        let committed = log.committed
        let me = id
        leader.readOnly.add(index: committed, context: context, from: from, selfID: me)
        broadcastHeartbeat(context: context)
    }

    mutating func serveReadsAwaitingCommit() {
        guard !leader.readsAwaitingCommit.isEmpty, log.term(log.committed) == term else { return }
        let waiting = leader.readsAwaitingCommit
        leader.readsAwaitingCommit = []
        for r in waiting { handleReadIndexRequest(context: r.context, from: r.from) }
    }

    mutating func answerRead(index: UInt64, context: [UInt8], to: NodeID) {
        if to == id {
            readStates.append(ReadState(index: index, context: context))
        } else {
            var m = Message(kind: .readIndexResponse, from: id, to: to, term: term)
            m.index = index
            m.context = context
            msgs.append(m)
        }
    }

    mutating func startTransfer(to target: NodeID) {
        guard target != id, confState.isVoter(target), let pr = leader.progress[target] else { return }
        if leader.transferee == target { return }
        leader.transferee = target
        // The transfer must finish within one election timeout.
        electionElapsed = 0
        if pr.match == log.lastIndex {
            sendTimeoutNow(to: target)
        } else {
            maybeSendAppend(to: target, sendIfEmpty: true)
        }
    }

    mutating func sendTimeoutNow(to target: NodeID) {
        msgs.append(Message(kind: .timeoutNow, from: id, to: target, term: term))
    }
}

extension RawNode {
    /// Whether ``ready()`` has work to hand out.
    public var hasReady: Bool {
        if readyOutstanding { return false }
        if broadcastPending { return true }
        if hardState != persistedHardState { return true }
        if !msgs.isEmpty || !msgsAfterPersist.isEmpty || !readStates.isEmpty { return true }
        if log.snapshotPending || log.stable < log.lastIndex { return true }
        return log.applied < applyLimit && !log.snapshotPending
    }

    var applyLimit: UInt64 {
        defects.contains(.applyBeforeCommit) ? log.lastIndex : log.committed
    }

    /// Collects the work accumulated since the last batch. See ``Ready`` for the order in
    /// which the caller must perform it.
    ///
    /// - Important: Call ``advance(_:)`` with the result before calling `ready()` again.
    public mutating func ready() -> Ready {
        precondition(!readyOutstanding, "ready() called again before advance()")
        if broadcastPending {
            broadcastPending = false
            if isLeader { broadcastAppend() }
        }
        var rd = Ready()
        let hs = hardState
        if hs != persistedHardState {
            rd.hardState = hs
            rd.mustSync = hs.term != persistedHardState.term || hs.vote != persistedHardState.vote
        }
        rd.entries = log.unstableEntries
        if !rd.entries.isEmpty { rd.mustSync = true }
        if log.snapshotPending {
            rd.snapshot = log.snapshot
            rd.mustSync = true
        }
        rd.committedEntries = log.nextToApply(maxCount: config.maxCommittedPerReady, upTo: applyLimit)
        rd.messages = msgs
        msgs = []
        rd.messagesAfterPersist = msgsAfterPersist
        msgsAfterPersist = []
        rd.readStates = readStates
        readStates = []
        readyOutstanding = true
        return rd
    }

    /// Takes the messages that promise nothing durable (heartbeats and their answers, pre-votes,
    /// refusals, read-index traffic, forwarded proposals), so that they can leave while a batch from
    /// ``ready()`` is being persisted: a slow disk must not silence a leader's heartbeats. Messages
    /// that acknowledge durable state stay for the next ``ready()``, and the leader's appends are
    /// still gathered there, so proposals made meanwhile travel together.
    public mutating func takeMessages() -> [Message] {
        defer { msgs = [] }
        return msgs
    }

    /// Acknowledges a batch from ``ready()``: its hard state, entries and snapshot are durable,
    /// its messages were sent and its committed entries applied. Membership changes among
    /// those entries take effect now.
    public mutating func advance(_ rd: Ready) {
        precondition(readyOutstanding, "advance() without ready()")
        readyOutstanding = false
        if let hs = rd.hardState { persistedHardState = hs }
        if let s = rd.snapshot { log.snapshotStable(index: s.metadata.index) }
        if let last = rd.entries.last { log.stableTo(index: last.index, term: last.term) }

        // Our own vote counts once it is durable, and so may a majority the peers already gave.
        if case .candidate(var c) = role, termIsDurable, c.votes[id] == nil {
            c.votes[id] = true
            role = .candidate(c)
            tallyVotes()
        }

        if let last = rd.committedEntries.last {
            // A snapshot restored since `ready()` already holds the membership up to its index.
            for e in rd.committedEntries where e.kind == .confChange && e.index > log.applied && e.index > log.snapshotIndex {
                if let cc = ConfChange.decode(e.data) { applyConfChange(cc) }
            }
            log.applied = max(log.applied, last.index)
        }

        if isLeader {
            // The leader's own acknowledgement: its entries are durable.
            let stable = log.stable
            let moved = leader.progress.update(id) { $0.maybeUpdate(stable) } ?? false
            if moved && maybeCommit() { broadcastAppend() }
            maybeAutoLeaveJoint()
        }
    }

    mutating func applyConfChange(_ cc: ConfChange) {
        guard let next = try? ConfChanger.apply(cc, to: confState) else {
            // Refused identically on every member (it was validated when proposed).
            return
        }
        confState = next
        guard isLeader else { return }
        if !next.isVoter(id) {
            // The leader was removed or demoted and is no longer needed to lead (§4.2.2).
            becomeFollower(term: term, leader: nil)
            return
        }
        let last = log.lastIndex
        leader.progress.reconfigure(next, next: last + 1)
        if let t = leader.transferee, !next.isVoter(t) { leader.transferee = nil }
        // The quorum changed (commit may advance) and new members need the log.
        _ = maybeCommit()
        broadcastAppend()
    }

    mutating func maybeAutoLeaveJoint() {
        guard isLeader, confState.isJoint, confState.autoLeave, leader.pendingConfIndex <= log.applied,
            leader.transferee == nil
        else { return }
        _ = try? appendProposal(kind: .confChange, data: ConfChange.leaveJoint.encode())
    }
}

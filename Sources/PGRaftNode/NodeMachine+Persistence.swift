import PGRaftStateMachine
import RaftCore
import PGRaftClient

/// Loading, persisting and applying: the core's output in the order Raft requires.
extension NodeMachine {
    // MARK: - Storage

    mutating func storageConnected() {
        storageUp = true
        // A compaction sent to the storage that went away may or may not have happened; the
        // next one will do it again.
        compacting = nil
        switch phase {
        case .waitingForStorage, .loading:
            // Replies to a load sent to an earlier connection are lost with it: ask again.
            phase = .loading
            out.append(.load)
        case .founding, .running:
            guard let flight = inFlight else { return }
            if settings.defects.contains(.skipResendAfterStorageRestart), let ready = flight.ready {
                inFlight = nil
                finish(ready)
            } else {
                // Whatever was in flight may not have reached the disk: the same batch again.
                out.append(.persist(flight.batch))
            }
        }
    }

    mutating func storageDisconnected() {
        storageUp = false
        if case .loading = phase { phase = .waitingForStorage }
    }

    mutating func loaded(_ state: PersistentState?) {
        guard case .loading = phase else { return }
        guard let state else {
            switch settings.emptyLog {
            case .join:
                log(.info, "empty data_dir and initial_cluster_state: existing: waiting to be added to the cluster")
                start(.joining)
            case .found(let voters):
                let founding = PersistentState.bootstrap(voters: voters)
                log(.info, "empty data_dir: founding the cluster", [("voters", "\(voters)")])
                // Durable before the core runs: every founding member starts from this same state.
                phase = .founding(founding)
                let batch = PersistBatch(id: takeBatchID(), snapshot: founding.snapshot, entries: [], hardState: founding.hardState)
                inFlight = InFlight(batch: batch, ready: nil)
                out.append(.persist(batch))
            }
            return
        }
        start(state)
    }

    mutating func persisted(_ id: UInt64) {
        guard let flight = inFlight, flight.batch.id == id else { return }
        inFlight = nil
        if let ready = flight.ready {
            finish(ready)
        } else if case .founding(let founding) = phase {
            start(founding)
        }
    }

    mutating func takeBatchID() -> UInt64 {
        defer { nextBatch += 1 }
        return nextBatch
    }

    private mutating func start(_ state: PersistentState) {
        guard let restored = ReplicatedStateMachine.restore(state.snapshot.data, membership: state.snapshot.metadata.confState) else {
            return fail("the snapshot at index \(state.snapshot.metadata.index) does not decode")
        }
        sm = restored
        savedHardState = state.hardState
        core = RawNode(config: settings.raft, state: state, random: SplitMix64(seed: settings.randomSeed))
        phase = .running
        log(
            .info, "raft started",
            [
                ("term", "\(state.hardState.term)"), ("commit", "\(state.hardState.commit)"),
                ("snapshot_index", "\(state.snapshot.metadata.index)"), ("entries", "\(state.entries.count)"),
                ("voters", "\(state.snapshot.metadata.confState.voters)"),
            ])
        announceMembers()
        publishDue = true
    }

    // MARK: - The core's batches

    /// Takes the core's next batch if none is at storage; repeats while batches need no write.
    mutating func drive() {
        guard core != nil else { return }
        flushReads()
        while inFlight == nil, storageUp, core!.hasReady {
            let rd = core!.ready()
            let current = core!.hardState
            send(rd.messages)
            if settings.defects.contains(.ackBeforeFsync) { send(rd.messagesAfterPersist) }
            if let snapshot = rd.snapshot { install(snapshot) }
            apply(rd.committedEntries)
            if settings.defects.contains(.applyUncommitted) { applyEverythingInTheLog() }
            answerReadStates(rd.readStates)
            var batch = PersistBatch(id: 0, snapshot: rd.snapshot, entries: rd.entries, hardState: nil)
            // Only term and vote must be durable before anything leaves (§3.8); a commit index
            // that is lost is learnt again from the leader, so a changed commit alone costs no
            // write. Except past a membership change: a node that restarts must know the change
            // committed (and apply it before it campaigns), or it would count votes in the old
            // membership. The change may come in a batch with no hard state at all (the commit
            // that covers it moved in an earlier batch, and the core's cap on entries per batch
            // left the change for this one); then the core's own hard state is written.
            let membershipCommitted = rd.committedEntries.contains { $0.kind == .confChange }
            if let hs = rd.hardState ?? (membershipCommitted ? current : nil),
                hs.term != savedHardState.term || hs.vote != savedHardState.vote || membershipCommitted
            {
                batch.hardState = hs
                savedHardState = hs
            }
            if batch.isEmpty {
                finish(rd)
            } else {
                batch.id = takeBatchID()
                inFlight = InFlight(batch: batch, ready: rd)
                out.append(.persist(batch))
            }
        }
        // While a batch is at storage, or storage is away, what promises nothing durable
        // (heartbeats above all) still leaves: a slow disk must not depose a healthy leader.
        if inFlight != nil || !storageUp { send(core!.takeMessages()) }
    }

    /// The batch `rd` is durable: release what waited for it and tell the core.
    ///
    /// A promise made in a term this node has since left is dropped, not sent: while it waited (for
    /// this batch, or for the one before it, since one batch is at storage at a time) the node may
    /// have taken a newer leader's snapshot, which replaces the log it vouched for, so the
    /// acknowledgement would name entries the disk no longer holds. Dropping an acknowledgement or a
    /// vote costs only a retry, and its recipient leads a term that is over.
    private mutating func finish(_ rd: Ready) {
        if !settings.defects.contains(.ackBeforeFsync) {
            let term = core!.term
            let keepStale = settings.defects.contains(.sendStaleTermAcks)
            send(rd.messagesAfterPersist.filter { keepStale || $0.term >= term })
        }
        core!.advance(rd)
        if membershipPending {
            membershipPending = false
            publishDue = true
        }
        maybeCompact()
    }

    /// Replaces the state machine by the leader's snapshot.
    private mutating func install(_ snapshot: Snapshot) {
        guard let restored = ReplicatedStateMachine.restore(snapshot.data, membership: snapshot.metadata.confState) else {
            return fail("the snapshot at index \(snapshot.metadata.index) does not decode")
        }
        sm = restored
        out.append(.count(.snapshotsReceived))
        log(.info, "installed a snapshot", [("index", "\(snapshot.metadata.index)"), ("term", "\(snapshot.metadata.term)")])
        // Proposals of this node may be inside the snapshot: their outcome cannot be told.
        failProposals(.timedOut, "outcome unknown: this node installed a snapshot of the leader's state that may include the write")
        announceMembers()
        serveAppliedReads()
    }

    /// Applies committed entries in order and answers the proposals they complete.
    mutating func apply(_ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        var membershipChanged = false
        for entry in entries where entry.index > sm.appliedIndex {
            let wasMember = sm.membership.allMembers.contains(settings.id)
            let result = sm.apply(entry)
            out.append(.applied(entry, result))
            if entry.kind == .confChange {
                membershipChanged = true
                if wasMember && !sm.membership.allMembers.contains(settings.id) { out.append(.leftCluster) }
                continue
            }
            if let tag = Command.requestTag(in: entry.data), tag.origin == settings.id,
                let proposal = proposals.removeValue(forKey: tag.sequence)
            {
                reply(proposal.request, .ok, Self.clientResult(result, entry, revision: sm.revision), isCommit: true)
            } else if Command.isMemberAddress(entry.data) {
                membershipChanged = true
            }
        }
        if membershipChanged {
            // The core takes the change when this batch is advanced; show it from then on.
            membershipPending = true
            announceMembers()
        }
        serveAppliedReads()
        checkWaiters()
    }

    /// The defect `apply-uncommitted`: every entry in the log is applied, committed or not.
    private mutating func applyEverythingInTheLog() {
        guard let core, sm.appliedIndex >= core.log.snapshotIndex else { return }
        var entries: [Entry] = []
        var index = sm.appliedIndex + 1
        while index <= core.log.lastIndex, let entry = core.log.entry(index) {
            entries.append(entry)
            index += 1
        }
        apply(entries)
    }

    /// What a client is told of its command applied as `entry`, the store at `revision` after it.
    static func clientResult(_ result: CommandResult, _ entry: Entry, revision: UInt64) -> ClientResult {
        switch result {
        case .put(let revision), .compareAndSet(true, let revision):
            return .written(revision: revision, index: entry.index, term: entry.term)
        case .deleted(let revision?):
            return .written(revision: revision, index: entry.index, term: entry.term)
        case .deleted(nil):
            return .unchanged(revision: revision, modRevision: 0, index: entry.index, term: entry.term)
        case .compareAndSet(false, let modRevision):
            return .unchanged(revision: revision, modRevision: modRevision, index: entry.index, term: entry.term)
        case .appended(let sequence):
            return .logRecord(sequence: sequence, index: entry.index, term: entry.term, data: [])
        case .logTrimmed(let through):
            return .logTrimmed(through: through, index: entry.index, term: entry.term)
        case .membership, .none, .invalid:
            return .written(revision: 0, index: entry.index, term: entry.term)
        }
    }

    // MARK: - Snapshots

    /// Asks for an image of the state machine every `snapshotEntries` applied entries, when the
    /// applied state is also durable here (so the snapshot never covers entries storage lacks).
    mutating func maybeCompact() {
        guard !encodingSnapshot, compacting == nil, inFlight == nil, storageUp, let core else { return }
        let applied = sm.appliedIndex
        guard applied >= core.log.snapshotIndex + settings.snapshotEntries, applied <= core.log.stable,
            let term = core.log.term(applied)
        else { return }
        encodingSnapshot = true
        out.append(.encodeSnapshot(index: applied, term: term, image: sm))
    }

    /// The image is encoded: the core compacts its log behind it, and storage saves it.
    mutating func snapshotEncoded(_ snapshot: Snapshot) {
        encodingSnapshot = false
        guard core != nil else { return }
        do {
            try core!.compact(upTo: snapshot.metadata.index, confState: snapshot.metadata.confState, data: snapshot.data)
        } catch {
            // A snapshot from the leader was installed meanwhile, say: this one is stale.
            log(.info, "snapshot at \(snapshot.metadata.index) not used: \(error)")
            return
        }
        guard storageUp else { return }
        compacting = snapshot.metadata.index
        out.append(.compact(snapshot))
    }

    mutating func compacted(_ index: UInt64, _ failure: String?) {
        guard compacting == index else { return }
        compacting = nil
        if let failure {
            log(.warning, "storage did not compact: \(failure)")
        } else {
            log(.info, "snapshot taken and log compacted", [("index", "\(index)")])
        }
    }
}

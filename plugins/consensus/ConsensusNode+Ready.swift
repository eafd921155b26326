import CShims
import Dispatch
import NIOCore
import PGRaftKit
import PGRaftStorage
import RaftCore

/// The core's output, in the order Raft requires: messages that need nothing durable leave at once
/// (the leader's appends go out while its own disk write runs), committed entries are applied, and
/// the hard state, entries and snapshot go to storage as one batch (one fsync); only when storage
/// answers "persisted" do the messages that promise durability (votes, append acknowledgements)
/// leave and the core learn that the batch is stable.
extension ConsensusNode {
    /// Takes the core's next batch if none is at storage; repeats while batches need no disk write.
    func drive() {
        guard core != nil else { return }
        flushReads()
        while persisting == nil, storage.isConnected, core!.hasReady {
            let rd = core!.ready()
            let current = core!.hardState
            send(rd.messages)
            if let snapshot = rd.snapshot { install(snapshot) }
            apply(rd.committedEntries)
            answerReadStates(rd.readStates)
            var operations: [StorageOperation] = []
            if let snapshot = rd.snapshot { operations.append(.saveSnapshot(Self.stored(snapshot))) }
            // Appends of at most `maxAppendBytes` each (one frame each), all made durable by the batch's one fsync.
            operations += Self.appendOperations(rd.entries)
            // Only term and vote must be durable before anything leaves (§3.8); a commit index that
            // is lost is learnt again from the leader. So a changed commit alone costs no write: the
            // hard state file is rewritten (two fsyncs and a rename) only when term or vote change.
            // Except past a membership change: a node that restarts must know the change committed
            // (and apply it before it campaigns), or it would count votes in the old membership.
            // The change may come in a batch with no hard state at all: the commit that covers it
            // moved in an earlier batch (which wrote nothing for it), and the core's cap on entries
            // per batch left the change for this one. Then the core's own hard state is written.
            let membershipCommitted = rd.committedEntries.contains { $0.kind == .confChange }
            if let hs = rd.hardState ?? (membershipCommitted ? current : nil),
                hs.term != savedHardState.term || hs.vote != savedHardState.vote || membershipCommitted
            {
                operations.append(.saveHardState(Self.stored(hs)))
                savedHardState = hs
            }
            if operations.isEmpty {
                finish(rd)
            } else {
                persisting = (rd, operations)
                sendPersist(operations)
            }
        }
        // While a batch is at storage, what promises nothing durable (heartbeats above all) still leaves.
        if persisting != nil { send(core!.takeMessages()) }
    }

    /// The most entry bytes one append request carries.
    static let maxAppendBytes = 8 << 20

    /// `entries` as append requests of at most `maxAppendBytes` each (at least one entry each).
    static func appendOperations(_ entries: [Entry]) -> [StorageOperation] {
        var operations: [StorageOperation] = []
        var chunk: [LogEntry] = []
        var bytes = 0
        for entry in entries {
            if !chunk.isEmpty && bytes + entry.data.count > maxAppendBytes {
                operations.append(.append(chunk))
                chunk = []
                bytes = 0
            }
            chunk.append(stored(entry))
            bytes += entry.data.count + 32
        }
        if !chunk.isEmpty { operations.append(.append(chunk)) }
        return operations
    }

    /// Sends the persisting batch to storage.
    func sendPersist(_ operations: [StorageOperation]) {
        storage.send(operations) { [self] replies in
            guard let failed = replies.first(where: { $0.status != .persisted }) else {
                guard let batch = persisting else { return }
                persisting = nil
                finish(batch.ready)
                settle()
                return
            }
            // Storage refused a write consensus built: the two disagree about the log. Exit and let
            // the restart rebuild this process's state from what storage has.
            fatal("storage refused a write (\(failed.status)): \(failed.result)")
        }
    }

    /// The batch `rd` is durable: release what waited for it and tell the core.
    private func finish(_ rd: Ready) {
        send(rd.messagesAfterPersist)
        core!.advance(rd)
        if membershipPending {
            membershipPending = false
            publish(force: true)
        }
        maybeCompact()
    }

    /// Hands messages to the transport; without one they are dropped (Raft resends what matters).
    func send(_ messages: [Message]) {
        guard !messages.isEmpty else { return }
        for message in messages {
            measurements.sent(message)
            count(sent: message)
            if let transport, transport.isWritable {
                let envelope = HubPeerMessage(peer: message.to, message: message.encode())
                outbox.write(Frame(type: HubFrameType.peerSend, payload: envelope.encoded()), to: transport)
            } else {
                counters?.increment(.messagesDropped)
            }
            if message.kind == .snapshot {
                // Handed over: the follower's answer shows whether it arrived; report success so
                // the leader probes again rather than waiting on a snapshot forever.
                core!.reportSnapshot(message.to, success: true)
            }
        }
    }

    /// Replaces the state machine by the leader's snapshot.
    private func install(_ snapshot: Snapshot) {
        guard let restored = ReplicatedStateMachine.restore(snapshot.data, membership: snapshot.metadata.confState) else {
            fatal("the snapshot at index \(snapshot.metadata.index) does not decode")
        }
        sm = restored
        counters?.increment(.snapshotsReceived)
        logger.info("installed a snapshot", metadata: ["index": "\(snapshot.metadata.index)", "term": "\(snapshot.metadata.term)"])
        // Proposals of this node may be inside the snapshot: their outcome cannot be told.
        failProposals(.timedOut, "outcome unknown: this node installed a snapshot of the leader's state that may include the write")
        announceMembers()
        serveAppliedReads()
    }

    /// Applies committed entries in order and answers the proposals they complete.
    func apply(_ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        var membershipChanged = false
        for entry in entries where entry.index > sm.appliedIndex {
            let result = sm.apply(entry)
            counters?.increment(.commandsApplied)
            if entry.kind == .confChange {
                membershipChanged = true
                continue
            }
            if let tag = Command.requestTag(in: entry.data), tag.origin == settings.nodeId,
                let proposal = proposals.removeValue(forKey: tag.sequence)
            {
                measurements.committed(afterNs: DispatchClock.nowNs() &- proposal.startedNs)
                proposal.respond(.ok, Self.clientResult(result, entry))
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

    static func clientResult(_ result: CommandResult, _ entry: Entry) -> ClientResult {
        switch result {
        case .put(let revision):
            return .written(revision: revision, index: entry.index, term: entry.term)
        case .deleted(let revision):
            return .written(revision: revision ?? 0, index: entry.index, term: entry.term)
        case .compareAndSet(_, let revision):
            return .written(revision: revision, index: entry.index, term: entry.term)
        case .appended(let sequence):
            return .logRecord(sequence: sequence, index: entry.index, term: entry.term, data: [])
        case .logTrimmed(let through):
            return .logTrimmed(through: through, index: entry.index, term: entry.term)
        case .membership, .none, .invalid:
            return .written(revision: 0, index: entry.index, term: entry.term)
        }
    }

    /// Takes a snapshot of the state machine and compacts the log behind it, every
    /// `snapshotEntries` applied entries, when the applied state is also durable here. The image is
    /// encoded on another thread from a copy of the state machine (copy-on-write: cheap to take), so
    /// the loop keeps serving meanwhile.
    private func maybeCompact() {
        guard !encodingSnapshot, !compacting, persisting == nil, let core, storage.isConnected else { return }
        let applied = sm.appliedIndex
        guard applied >= core.log.snapshotIndex + settings.snapshotEntries, applied <= core.log.stable,
            let term = core.log.term(applied)
        else { return }
        encodingSnapshot = true
        let image = sm
        let began = DispatchClock.nowNs()
        DispatchQueue.global().async { [self] in
            let data = image.snapshot()
            loop.execute { [self] in
                storeSnapshot(StoredSnapshot(index: applied, term: term, membership: image.membership.encode(), data: data), began: began)
            }
        }
    }

    /// Hands the encoded snapshot to the core and to storage, then compacts storage's log behind it.
    private func storeSnapshot(_ snapshot: StoredSnapshot, began: UInt64) {
        let encodedMs = Double(DispatchClock.nowNs() - began) / 1e6
        encodingSnapshot = false
        guard core != nil, let conf = ConfState.decode(snapshot.membership) else { return }
        do {
            try core!.compact(upTo: snapshot.index, confState: conf, data: snapshot.data)
        } catch {
            // A snapshot from the leader was installed meanwhile, say: this one is stale.
            logger.info("snapshot at \(snapshot.index) not used: \(error)")
            return
        }
        compacting = storage.send([.saveSnapshot(snapshot), .compact(upTo: snapshot.index)]) { [self] replies in
            compacting = false
            if let failed = replies.first(where: { $0.status != .persisted }) {
                logger.warning("storage did not compact: \(failed.status) \(failed.result)")
            } else {
                let totalMs = Double(DispatchClock.nowNs() - began) / 1e6
                logger.info(
                    "snapshot taken and log compacted",
                    metadata: [
                        "index": "\(snapshot.index)", "bytes": "\(snapshot.data.count)", "encode_ms": "\(Int(encodedMs))",
                        "total_ms": "\(Int(totalMs))",
                    ])
            }
        }
    }

    // MARK: - Conversions to storage's types

    static func stored(_ entry: Entry) -> LogEntry {
        LogEntry(term: entry.term, index: entry.index, type: entry.kind.rawValue, data: entry.data)
    }

    static func entry(_ stored: LogEntry) -> Entry? {
        guard let kind = Entry.Kind(rawValue: stored.type) else { return nil }
        return Entry(term: stored.term, index: stored.index, kind: kind, data: stored.data)
    }

    static func stored(_ hs: RaftCore.HardState) -> PGRaftStorage.HardState {
        PGRaftStorage.HardState(term: hs.term, vote: hs.vote ?? 0, commit: hs.commit)
    }

    static func stored(_ snapshot: Snapshot) -> StoredSnapshot {
        StoredSnapshot(
            index: snapshot.metadata.index, term: snapshot.metadata.term, membership: snapshot.metadata.confState.encode(),
            data: snapshot.data)
    }
}

/// The monotonic clock in nanoseconds, for latencies.
enum DispatchClock {
    static func nowNs() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}

import CShims
import Dispatch
import Logging
import NIOCore
import PGRaftKit
import PGRaftNode
import PGRaftStateMachine
import PGRaftStorageProtocol
import RaftCore

/// Performing the machine's actions: frames to storage and the transport, replies, the segment.
extension ConsensusNode {
    func perform(_ actions: [NodeAction]) {
        for action in actions {
            switch action {
            case .send(let message): send(message)
            case .load: load()
            case .persist(let batch): persist(batch)
            case .encodeSnapshot(let index, let term, let image): encode(image, index: index, term: term)
            case .compact(let snapshot): compact(snapshot)
            case .reply(let reply): answer(reply)
            case .applied: counters?.increment(.commandsApplied)
            case .leftCluster: break  // published as a non-member, and logged as such

            case .publish(let status): publish(status)
            case .announceMembers(let members): announce(members)
            case .count(let counter): count(counter)
            case .log(let record): log(record)
            case .fail(let why): fatal(why)
            }
        }
    }

    /// Hands a message to the transport; without one it is dropped (Raft resends what matters).
    private func send(_ message: Message) {
        measurements.sent(message)
        count(sent: message)
        if let transport, transport.isWritable {
            let envelope = HubPeerMessage(peer: message.to, message: message.encode())
            outbox.write(Frame(type: HubFrameType.peerSend, payload: envelope.encoded()), to: transport)
        } else {
            counters?.increment(.messagesDropped)
        }
    }

    /// The most entry bytes one append request carries.
    static let maxAppendBytes = 8 << 20

    /// The batch as storage operations, in its order: snapshot, appends of at most
    /// `maxAppendBytes` each (one frame each), hard state; storage makes them durable with one fsync.
    static func operations(_ batch: PersistBatch) -> [StorageOperation] {
        var operations: [StorageOperation] = []
        if let snapshot = batch.snapshot { operations.append(.saveSnapshot(stored(snapshot))) }
        var chunk: [LogEntry] = []
        var bytes = 0
        for entry in batch.entries {
            if !chunk.isEmpty && bytes + entry.data.count > maxAppendBytes {
                operations.append(.append(chunk))
                chunk = []
                bytes = 0
            }
            chunk.append(stored(entry))
            bytes += entry.data.count + 32
        }
        if !chunk.isEmpty { operations.append(.append(chunk)) }
        if let hs = batch.hardState { operations.append(.saveHardState(hs)) }
        return operations
    }

    private func persist(_ batch: PersistBatch) {
        storage.send(Self.operations(batch)) { [self] replies in
            if let failed = replies.first(where: { $0.status != .persisted }) {
                // Storage refused a write consensus built: the two disagree about the log. Exit and
                // let the restart rebuild this process's state from what storage has.
                fatal("storage refused a write (\(failed.status)): \(failed.result)")
            }
            feed(.persisted(batch: batch.id))
        }
        // Not connected: the machine sends the batch again when storage is back.
    }

    /// Encodes the image on another thread (the state machine is copy-on-write: the copy was
    /// cheap), so the loop keeps serving meanwhile.
    private func encode(_ image: ReplicatedStateMachine, index: UInt64, term: UInt64) {
        let began = DispatchClock.nowNs()
        DispatchQueue.global().async { [self] in
            let data = image.snapshot()
            loop.execute { [self] in
                logger.debug("snapshot image encoded", metadata: ["index": "\(index)", "bytes": "\(data.count)", "encode_ms": "\((DispatchClock.nowNs() - began) / 1_000_000)"])
                feed(.snapshotEncoded(Snapshot(metadata: .init(index: index, term: term, confState: image.membership), data: data)))
            }
        }
    }

    private func compact(_ snapshot: Snapshot) {
        let index = snapshot.metadata.index
        let sent = storage.send([.saveSnapshot(Self.stored(snapshot)), .compact(upTo: index)]) { [self] replies in
            let failed = replies.first { $0.status != .persisted }
            feed(.compacted(index: index, failure: failed.map { "\($0.status) \($0.result)" }))
        }
        if !sent { feed(.compacted(index: index, failure: "storage is not connected")) }
    }

    private func answer(_ reply: NodeReply) {
        guard let waiting = responders.removeValue(forKey: reply.id) else { return }
        if reply.isCommit { measurements.committed(afterNs: DispatchClock.nowNs() &- waiting.startedNs) }
        waiting.respond(reply.status, reply.result)
    }

    /// Writes the cluster state into the segment.
    private func publish(_ status: RaftStatus) {
        guard let segment else { return }
        let wallNow = UInt64(max(0, pgr_wall_ms()))
        let members = status.members.map { member in
            ClusterMember(
                id: member.id, address: member.address, kind: member.isLearner ? .learner : .voter, matchIndex: member.matchIndex,
                nextIndex: member.nextIndex,
                lastContactMs: member.id == settings.nodeId ? wallNow : UInt64(max(0, lastContactMs[member.id] ?? 0)))
        }
        let state = ClusterStateSnapshot(
            term: status.term, leaderId: status.leader, role: NodeRole(status.role), commitIndex: status.commitIndex,
            appliedIndex: status.appliedIndex, lastIndex: status.lastIndex, snapshotIndex: status.snapshotIndex, members: members)
        do {
            try segment.publishClusterState(state)
        } catch {
            logger.warning("cannot publish the cluster state: \(error)")
        }
    }

    /// Tells the transport whom to keep connected.
    private func announce(_ members: [NodeAddress]) {
        guard let transport else { return }
        let list = members.map { (id: $0.id, address: $0.address) }
        outbox.write(Frame(type: HubFrameType.members, payload: HubMemberList(members: list).encoded()), to: transport)
    }

    private func count(_ counter: NodeCounter) {
        switch counter {
        case .proposals: counters?.increment(.proposals)
        case .snapshotsReceived: counters?.increment(.snapshotsReceived)
        case .elections: counters?.increment(.elections)
        case .leaderChanges: counters?.increment(.leaderChanges)
        }
    }

    private func log(_ record: NodeLogRecord) {
        let level: Logger.Level
        switch record.level {
        case .debug: level = .debug
        case .info: level = .info
        case .warning: level = .warning
        }
        var metadata: Logger.Metadata = [:]
        for detail in record.metadata { metadata[detail.key] = "\(detail.value)" }
        logger.log(level: level, "\(record.message)", metadata: metadata.isEmpty ? nil : metadata)
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

    // MARK: - Conversions to storage's types

    static func stored(_ entry: Entry) -> LogEntry {
        LogEntry(term: entry.term, index: entry.index, type: entry.kind.rawValue, data: entry.data)
    }

    static func entry(_ stored: LogEntry) -> Entry? {
        guard let kind = Entry.Kind(rawValue: stored.type) else { return nil }
        return Entry(term: stored.term, index: stored.index, kind: kind, data: stored.data)
    }

    static func stored(_ snapshot: Snapshot) -> StoredSnapshot {
        StoredSnapshot(
            index: snapshot.metadata.index, term: snapshot.metadata.term, membership: snapshot.metadata.confState.encode(),
            data: snapshot.data)
    }
}

extension NodeRole {
    /// The segment's form of a role the machine published.
    init(_ role: RaftStatus.Role) {
        switch role {
        case .leader: self = .leader
        case .follower: self = .follower
        case .learner: self = .learner
        case .candidate: self = .candidate
        case .preCandidate: self = .preCandidate
        case .nonMember: self = .nonMember
        }
    }
}

import PGRaftKit
import RaftCore

/// Client requests: writes go through the log tagged with this node and a sequence (so the
/// answer is given when this node applies them, even when a follower forwarded them); reads are
/// linearizable through ReadIndex (one round for all the reads that arrived together) unless the
/// client accepts a stale local read.
extension ConsensusNode {
    /// Serves `operation`; `respond` is called exactly once, now or later.
    func handle(_ operation: ClientOperation, respond: @escaping Responder) {
        guard core != nil else {
            respond(.unavailable, .message("consensus is starting: the Raft state is not loaded from storage yet; retry"))
            return
        }
        switch operation {
        case .put(let key, let value):
            guard Self.validKey(key, respond) else { return }
            propose(.put(key: key, value: value), respond)
        case .delete(let key):
            guard Self.validKey(key, respond) else { return }
            propose(.delete(key: key), respond)
        case .logAppend(let data):
            propose(.logAppend(data: data), respond)
        case .logTrim(let through):
            propose(.logTrim(through: through), respond)
        case .get(let key, let linearizable):
            guard Self.validKey(key, respond) else { return }
            read(linearizable, respond) { sm in
                guard let r = sm.get(key) else { return (.notFound, .message("key \"\(key)\" does not exist")) }
                let record = ClientKeyRecord(key: key, value: r.value, createRevision: r.createRevision, modRevision: r.modRevision, version: r.version)
                return (.ok, .record(record, revision: sm.revision))
            }
        case .list(let prefix, let linearizable):
            read(linearizable, respond) { sm in
                let found = sm.list(prefix: prefix)
                let bytes = found.reduce(0) { $0 + $1.key.utf8.count + $1.record.value.count + 40 }
                guard bytes <= Self.maxListBytes else {
                    return (.invalid, .message("\(found.count) keys under prefix \"\(prefix)\" make \(bytes) bytes, over the \(Self.maxListBytes) one answer may carry; list a narrower prefix"))
                }
                let records = found.map {
                    ClientKeyRecord(key: $0.key, value: $0.record.value, createRevision: $0.record.createRevision, modRevision: $0.record.modRevision, version: $0.record.version)
                }
                return (.ok, .records(records, revision: sm.revision))
            }
        case .logGet(let sequence, let linearizable):
            read(linearizable, respond) { sm in
                guard let r = sm.logRecord(sequence) else {
                    let stats = sm.logStats
                    let held = stats.count == 0 ? "none" : "\(stats.firstSequence)...\(stats.lastSequence)"
                    return (.notFound, .message("log record \(sequence) does not exist (records held: \(held))"))
                }
                return (.ok, .logRecord(sequence: r.sequence, index: r.raftIndex, term: r.raftTerm, data: r.data))
            }
        case .logStats:
            let s = sm.logStats
            respond(.ok, .logStats(count: s.count, bytes: s.bytes, firstSequence: s.firstSequence, lastSequence: s.lastSequence, lastIndex: s.lastRaftIndex))
        case .addNode(let id, let address):
            addNode(id, address: address, respond)
        case .removeNode(let id):
            removeNode(id, respond)
        case .transferLeader(let id):
            transferLeader(to: id, respond)
        case .metrics:
            respond(.ok, .metrics(measurements.snapshot))
        }
    }

    /// The most bytes of keys and values one listing answers with (its frame must fit the api's limit).
    static let maxListBytes = 64 << 20

    private static func validKey(_ key: String, _ respond: Responder) -> Bool {
        if key.isEmpty {
            respond(.invalid, .message("the key is empty"))
            return false
        }
        if key.utf8.count > 1024 {
            respond(.invalid, .message("the key has \(key.utf8.count) bytes; at most 1024 are allowed"))
            return false
        }
        return true
    }

    /// Proposes `command` tagged with this node and a fresh sequence; answers when applied here.
    func propose(_ command: Command, _ respond: @escaping Responder) {
        let sequence = nextSequence
        nextSequence += 1
        do {
            _ = try core!.propose(Command.request(origin: settings.nodeId, sequence: sequence, command: command).encode())
        } catch {
            refuse(error, respond)
            return
        }
        counters?.increment(.proposals)
        proposals[sequence] = PendingProposal(respond: respond, startedNs: DispatchClock.nowNs(), deadlineMs: Self.nowMs() + settings.requestTimeoutMs)
    }

    /// Answers a refused proposal, read or membership change.
    func refuse(_ error: ProposalError, _ respond: Responder) {
        switch error {
        case .notLeader:
            respond(.noLeader, .message("no leader is known (an election is under way, or this node is cut off from the majority); retry"))
        case .transferInProgress:
            respond(.unavailable, .message("a leadership transfer is under way; retry"))
        case .confChangePending:
            respond(.unavailable, .message("another membership change is still being applied; retry"))
        case .confChangeRejected(let why):
            respond(.invalid, .message("membership change refused: \(why)"))
        }
    }

    // MARK: - Reads

    func read(_ linearizable: Bool, _ respond: @escaping Responder, _ body: @escaping (ReplicatedStateMachine) -> ClientStatusAndResult) {
        guard linearizable else {
            let answer = body(sm)
            respond(answer.status, answer.result)
            return
        }
        readBatch.append(PendingRead(body: body, respond: respond, deadlineMs: Self.nowMs() + settings.requestTimeoutMs))
    }

    /// Asks one read point for every read gathered since the last round.
    func flushReads() {
        guard !readBatch.isEmpty, core != nil else { return }
        let batch = readBatch
        readBatch = []
        let round = nextReadRound
        nextReadRound += 1
        var context = WireWriter(capacity: 16)
        context.u64(settings.nodeId)
        context.u64(round)
        do {
            try core!.readIndex(context: context.bytes)
        } catch {
            for read in batch { refuse(error, read.respond) }
            return
        }
        readRounds[round] = ReadRound(reads: batch, askedMs: Self.nowMs())
    }

    /// Read points arrived: each read waits until the state machine has applied its point.
    func answerReadStates(_ states: [ReadState]) {
        for state in states {
            guard state.context.count == 16, state.context.loadU64(at: 0) == settings.nodeId,
                let round = readRounds.removeValue(forKey: state.context.loadU64(at: 8))
            else { continue }
            for read in round.reads { readsAwaitingApply.append((state.index, read)) }
        }
        serveAppliedReads()
    }

    /// Answers the reads whose read point is applied.
    func serveAppliedReads() {
        guard !readsAwaitingApply.isEmpty else { return }
        let applied = sm.appliedIndex
        var waiting: [(index: UInt64, read: PendingRead)] = []
        for item in readsAwaitingApply {
            if item.index <= applied {
                let answer = item.read.body(sm)
                item.read.respond(answer.status, answer.result)
            } else {
                waiting.append(item)
            }
        }
        readsAwaitingApply = waiting
    }

    /// Fails every read still waiting for its read point (leadership changed: none will come).
    func failReadRounds(_ message: String) {
        for round in readRounds.values {
            for read in round.reads { read.respond(.unavailable, .message(message)) }
        }
        readRounds.removeAll()
    }

    /// Fails every proposal still waiting.
    func failProposals(_ status: ClientStatus, _ message: String) {
        let pending = proposals.values
        proposals.removeAll()
        for proposal in pending { proposal.respond(status, .message(message)) }
    }

    /// Answers with a time-out every request whose deadline passed.
    func expireRequests() {
        let now = Self.nowMs()
        for (sequence, proposal) in proposals where proposal.deadlineMs <= now {
            proposals[sequence] = nil
            proposal.respond(.timedOut, .message("not applied within \(settings.requestTimeoutMs) ms; the write may still commit (outcome unknown)"))
        }
        for (id, round) in readRounds where round.reads.contains(where: { $0.deadlineMs <= now }) {
            readRounds[id] = nil
            for read in round.reads { read.respond(.timedOut, .message("no read point within \(settings.requestTimeoutMs) ms; retry")) }
        }
        // A round unanswered for an election timeout was probably lost (a connection that was
        // going down): its reads join the next round, and a late answer to the old one is ignored.
        for (id, round) in readRounds where now - round.askedMs >= Int64(settings.electionTicks) * settings.tickMs {
            readRounds[id] = nil
            readBatch.append(contentsOf: round.reads)
        }
        let expired = readsAwaitingApply.filter { $0.read.deadlineMs <= now }
        readsAwaitingApply.removeAll { $0.read.deadlineMs <= now }
        for item in expired { item.read.respond(.timedOut, .message("the state machine did not reach the read point within \(settings.requestTimeoutMs) ms; retry")) }
        let late = waiters.filter { $0.deadlineMs <= now }
        waiters.removeAll { $0.deadlineMs <= now }
        for waiter in late { waiter.respond(.timedOut, .message("\(waiter.what) did not complete within \(settings.requestTimeoutMs) ms")) }
    }
}

import PGRaftStateMachine
import RaftCore
import PGRaftBytes
import PGRaftClient

/// Client requests: writes go through the log tagged with this node and a sequence (so the
/// answer is given when this node applies them, even when a follower forwarded them); reads are
/// linearizable through ReadIndex (one round for all the reads that arrived together) unless the
/// client accepts a stale local read.
extension NodeMachine {
    /// The most bytes of keys and values one listing answers with (its frame must fit the api's limit).
    public static let maxListBytes = 64 << 20

    /// The longest key, in bytes.
    public static let maxKeyBytes = 1024

    mutating func request(_ id: RequestID, _ operation: ClientOperation) {
        guard isRunning else {
            return reply(id, .unavailable, .message("consensus is starting: the Raft state is not loaded from storage yet; retry"))
        }
        // A node outside the membership hears from no leader: a read or write would wait out its
        // deadline. Say so at once, so the client asks a member instead.
        if isNonMember {
            return reply(id, .notMember, .message(nonMemberExplanation + "; send requests to a member"))
        }
        switch operation {
        case .put(let key, let value):
            guard validKey(key, id) else { return }
            propose(.put(key: key, value: value), id)
        case .delete(let key):
            guard validKey(key, id) else { return }
            propose(.delete(key: key), id)
        case .compareAndSet(let key, let expected, let value):
            guard validKey(key, id) else { return }
            propose(.compareAndSet(key: key, expectedRevision: expected, value: value), id)
        case .logAppend(let data):
            propose(.logAppend(data: data), id)
        case .logTrim(let through):
            propose(.logTrim(through: through), id)
        case .get(let key, let linearizable):
            guard validKey(key, id) else { return }
            read(linearizable, .get(key: key), id)
        case .list(let prefix, let linearizable):
            read(linearizable, .list(prefix: prefix), id)
        case .logGet(let sequence, let linearizable):
            read(linearizable, .logGet(sequence: sequence), id)
        case .logStats:
            let s = sm.logStats
            reply(id, .ok, .logStats(count: s.count, bytes: s.bytes, firstSequence: s.firstSequence, lastSequence: s.lastSequence, lastIndex: s.lastRaftIndex))
        case .addNode(let node, let address):
            addNode(node, address: address, id)
        case .removeNode(let node):
            removeNode(node, id)
        case .transferLeader(let node):
            transferLeader(to: node, id)
        case .metrics:
            reply(id, .invalid, .message("metrics are kept by the process that runs the node, not by the node's logic"))
        }
    }

    private mutating func validKey(_ key: String, _ id: RequestID) -> Bool {
        if key.isEmpty {
            reply(id, .invalid, .message("the key is empty"))
            return false
        }
        if key.utf8.count > Self.maxKeyBytes {
            reply(id, .invalid, .message("the key has \(key.utf8.count) bytes; at most \(Self.maxKeyBytes) are allowed"))
            return false
        }
        return true
    }

    /// Proposes `command` tagged with this node and a fresh sequence; answers when applied here.
    mutating func propose(_ command: Command, _ id: RequestID) {
        let sequence = nextSequence
        nextSequence += 1
        let outcome: ProposalOutcome
        do {
            outcome = try core!.propose(Command.request(origin: settings.id, sequence: sequence, command: command).encode())
        } catch {
            return refuse(error, id)
        }
        out.append(.count(.proposals))
        if settings.defects.contains(.replyBeforeCommit), case .appended(let index, let term) = outcome {
            return reply(id, .ok, speculativeResult(through: index, term: term))
        }
        proposals[sequence] = PendingProposal(request: id, deadlineMs: now + settings.requestTimeoutMs)
    }

    /// The defect `reply-before-commit`: the result the entry at `index` would have if every
    /// entry up to it were applied now.
    private func speculativeResult(through index: UInt64, term: UInt64) -> ClientResult {
        var image = sm
        var result = CommandResult.none
        var entry = Entry(term: term, index: index, data: [])
        for i in (image.appliedIndex + 1)...index {
            guard let e = core!.log.entry(i) else { break }
            entry = e
            result = image.apply(e)
        }
        return Self.clientResult(result, entry, revision: image.revision)
    }

    /// Answers a refused proposal, read or membership change.
    mutating func refuse(_ error: ProposalError, _ id: RequestID) {
        switch error {
        case .notLeader:
            reply(id, .noLeader, .message("no leader is known (an election is under way, or this node is cut off from the majority); retry"))
        case .transferInProgress:
            reply(id, .unavailable, .message("a leadership transfer is under way; retry"))
        case .confChangePending:
            reply(id, .unavailable, .message("another membership change is still being applied; retry"))
        case .confChangeRejected(let why):
            reply(id, .invalid, .message("membership change refused: \(why)"))
        }
    }

    // MARK: - Reads

    private mutating func read(_ linearizable: Bool, _ query: ReadQuery, _ id: RequestID) {
        guard linearizable else {
            let answer = self.answer(query)
            return reply(id, answer.status, answer.result)
        }
        readBatch.append(PendingRead(request: id, query: query, deadlineMs: now + settings.requestTimeoutMs))
    }

    /// The answer to `query` from the state machine as it is.
    func answer(_ query: ReadQuery) -> (status: ClientStatus, result: ClientResult) {
        switch query {
        case .get(let key):
            guard let r = sm.get(key) else { return (.notFound, .message("key \"\(key)\" does not exist")) }
            let record = ClientKeyRecord(key: key, value: r.value, createRevision: r.createRevision, modRevision: r.modRevision, version: r.version)
            return (.ok, .record(record, revision: sm.revision))
        case .list(let prefix):
            let found = sm.list(prefix: prefix)
            let bytes = found.reduce(0) { $0 + $1.key.utf8.count + $1.record.value.count + 40 }
            guard bytes <= Self.maxListBytes else {
                return (
                    .invalid,
                    .message("\(found.count) keys under prefix \"\(prefix)\" make \(bytes) bytes, over the \(Self.maxListBytes) one answer may carry; list a narrower prefix")
                )
            }
            let records = found.map {
                ClientKeyRecord(key: $0.key, value: $0.record.value, createRevision: $0.record.createRevision, modRevision: $0.record.modRevision, version: $0.record.version)
            }
            return (.ok, .records(records, revision: sm.revision))
        case .logGet(let sequence):
            guard let r = sm.logRecord(sequence) else {
                let stats = sm.logStats
                let held = stats.count == 0 ? "none" : "\(stats.firstSequence)...\(stats.lastSequence)"
                return (.notFound, .message("log record \(sequence) does not exist (records held: \(held))"))
            }
            return (.ok, .logRecord(sequence: r.sequence, index: r.raftIndex, term: r.raftTerm, data: r.data))
        }
    }

    /// Asks one read point for every read gathered since the last round.
    mutating func flushReads() {
        guard !readBatch.isEmpty, core != nil else { return }
        let batch = readBatch
        readBatch = []
        let round = nextReadRound
        nextReadRound += 1
        var context = ByteWriter(capacity: 16)
        context.u64(settings.id)
        context.u64(round)
        do {
            try core!.readIndex(context: context.bytes)
        } catch {
            for read in batch { refuse(error, read.request) }
            return
        }
        readRounds[round] = ReadRound(reads: batch, askedMs: now)
    }

    /// Read points arrived: each read waits until the state machine has applied its point.
    mutating func answerReadStates(_ states: [ReadState]) {
        for state in states {
            var r = ByteReader(state.context)
            guard state.context.count == 16, (try? r.u64()) == settings.id, let number = try? r.u64(),
                let round = readRounds.removeValue(forKey: number)
            else { continue }
            for read in round.reads { readsAwaitingApply.append((state.index, read)) }
        }
        serveAppliedReads()
    }

    /// Answers the reads whose read point is applied.
    mutating func serveAppliedReads() {
        guard !readsAwaitingApply.isEmpty else { return }
        let applied = sm.appliedIndex
        var waiting: [(index: UInt64, read: PendingRead)] = []
        for item in readsAwaitingApply {
            if item.index <= applied {
                let answer = self.answer(item.read.query)
                reply(item.read.request, answer.status, answer.result)
            } else {
                waiting.append(item)
            }
        }
        readsAwaitingApply = waiting
    }

    /// Fails every read still waiting for its read point (leadership changed: none will come).
    mutating func failReadRounds(_ message: String) {
        let rounds = readRounds.keys.sorted().compactMap { readRounds[$0] }
        readRounds.removeAll()
        for round in rounds {
            for read in round.reads { reply(read.request, .unavailable, .message(message)) }
        }
    }

    /// Fails every proposal still waiting.
    mutating func failProposals(_ status: ClientStatus, _ message: String) {
        let pending = proposals.keys.sorted().compactMap { proposals[$0] }
        proposals.removeAll()
        for proposal in pending { reply(proposal.request, status, .message(message)) }
    }

    /// Answers with a time-out every request whose deadline passed.
    mutating func expireRequests() {
        let timeout = settings.requestTimeoutMs
        for sequence in proposals.keys.sorted() where proposals[sequence]!.deadlineMs <= now {
            let proposal = proposals.removeValue(forKey: sequence)!
            reply(proposal.request, .timedOut, .message("not applied within \(timeout) ms; the write may still commit (outcome unknown)"))
        }
        // Only the reads whose own deadline passed: a round gathers reads of many ages (a round
        // asked again takes the next batch along), and a fresh read must not share an old one's fate.
        for number in readRounds.keys.sorted() {
            let reads = readRounds[number]!.reads
            let late = reads.filter { $0.deadlineMs <= now }
            guard !late.isEmpty else { continue }
            let live = reads.filter { $0.deadlineMs > now }
            if live.isEmpty { readRounds[number] = nil } else { readRounds[number]!.reads = live }
            for read in late { reply(read.request, .timedOut, .message("no read point within \(timeout) ms; retry")) }
        }
        // A round unanswered for an election timeout was probably lost (a connection that was
        // going down): its reads join the next round, and a late answer to the old one is ignored.
        let electionMs = Int64(settings.raft.electionTick) * settings.tickMs
        for number in readRounds.keys.sorted() where now - readRounds[number]!.askedMs >= electionMs {
            readBatch.append(contentsOf: readRounds.removeValue(forKey: number)!.reads)
        }
        let expired = readsAwaitingApply.filter { $0.read.deadlineMs <= now }
        readsAwaitingApply.removeAll { $0.read.deadlineMs <= now }
        for item in expired {
            reply(item.read.request, .timedOut, .message("the state machine did not reach the read point within \(timeout) ms; retry"))
        }
        let late = waiters.filter { $0.deadlineMs <= now }
        waiters.removeAll { $0.deadlineMs <= now }
        for waiter in late { reply(waiter.request, .timedOut, .message("\(waiter.what) did not complete within \(timeout) ms")) }
    }
}

/// One Raft node as a value: a deterministic state machine with no I/O, clock or thread.
///
/// Drive it with ``tick()``, ``step(_:)``, ``propose(_:)``, ``proposeConfChange(_:)``,
/// ``readIndex(context:)`` and ``transferLeadership(to:)``; collect work with ``ready()``
/// and acknowledge it with ``advance(_:)``. Two nodes fed the same inputs (and the same
/// random seed) produce the same outputs.
///
/// - Important: Durability rules live in ``Ready``: messages in
///   ``Ready/messagesAfterPersist`` leave only after the batch's hard state and entries
///   are on disk, and ``advance(_:)`` is called only after the whole batch is done.
public struct RawNode: Sendable {
    /// This node's identity.
    public let id: NodeID
    /// The settings it runs with.
    public let config: RaftConfig
    var random: any RandomNumberGenerator & Sendable
    /// The current term.
    public internal(set) var term: UInt64
    /// The vote cast in `term`.
    public internal(set) var vote: NodeID?
    /// The log.
    public internal(set) var log: RaftLog
    /// The membership as of the last applied membership change.
    public internal(set) var confState: ConfState
    /// The role and its state.
    public internal(set) var role: Role
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    var msgs: [Message] = []
    var msgsAfterPersist: [Message] = []
    var readStates: [ReadState] = []
    var persistedHardState: HardState
    var readyOutstanding = false
    var broadcastPending = false
    /// Set when the node detects that its own safety rules were broken (only possible with
    /// ``RaftConfig/injectedDefects``); a production node would have stopped.
    public internal(set) var safetyFault: String?

    /// Restores a node from what it persisted (or a ``PersistentState/bootstrap(voters:)`` state).
    ///
    /// - Parameter random: the source of election timeouts; a ``SplitMix64`` seeded with
    ///   the node id when nil.
    public init(config: RaftConfig, state: PersistentState, random: (any RandomNumberGenerator & Sendable)? = nil) {
        precondition(config.id != 0, "node id 0 is reserved")
        precondition(config.electionTick > config.heartbeatTick, "electionTick must exceed heartbeatTick")
        precondition(config.maxEntriesPerMessage > 0 && config.maxInflightMessages > 0)
        self.id = config.id
        self.config = config
        self.random = random ?? SplitMix64(seed: config.id)
        self.term = state.hardState.term
        self.vote = state.hardState.vote
        self.log = RaftLog(snapshot: state.snapshot, entries: state.entries, committed: state.hardState.commit)
        self.confState = state.snapshot.metadata.confState
        self.role = .follower(FollowerState(leader: nil))
        self.persistedHardState = HardState(term: term, vote: vote, commit: log.committed)
        resetRandomizedElectionTimeout()
    }

    // MARK: - Status

    /// The leader this node knows of in the current term.
    public var leaderID: NodeID? {
        switch role {
        case .leader: return id
        case .follower(let f): return f.leader
        case .preCandidate, .candidate: return nil
        }
    }

    /// Whether this node is the leader.
    public var isLeader: Bool {
        if case .leader = role { return true }
        return false
    }

    /// The current hard state (not necessarily persisted yet).
    public var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }

    /// The leader's view of every member's progress (nil unless leader).
    public var progress: ProgressTracker? {
        if case .leader(let l) = role { return l.progress }
        return nil
    }

    /// Whether this node may campaign: a voter with no snapshot waiting to be installed.
    public var isPromotable: Bool {
        confState.isVoter(id) && !log.snapshotPending
    }

    var defects: InjectedDefects { config.injectedDefects }

    /// In-place access to the leader state; traps if not leader.
    var leader: LeaderState {
        get {
            guard case .leader(let s) = role else { preconditionFailure("not leader") }
            return s
        }
        _modify {
            guard case .leader(var s) = role else { preconditionFailure("not leader") }
            role = .follower(FollowerState(leader: nil))
            defer { role = .leader(s) }
            yield &s
        }
    }

    // MARK: - Inputs

    /// Advances logical time by one tick: followers and candidates may start an election,
    /// leaders send heartbeats and check their quorum.
    public mutating func tick() {
        if isLeader { tickLeader() } else { tickElection() }
    }

    /// Starts an election now, as if the election timeout had elapsed (pre-vote first if enabled).
    public mutating func campaign() {
        hup(transfer: false)
    }

    /// Proposes application data.
    ///
    /// - Returns: where it was appended, or the leader it was forwarded to.
    /// - Throws: ``ProposalError/notLeader(leader:)`` when it can be neither appended nor forwarded.
    @discardableResult
    public mutating func propose(_ data: [UInt8]) throws(ProposalError) -> ProposalOutcome {
        try proposeEntry(kind: .normal, data: data)
    }

    /// Proposes a membership change (§4). At most one may be pending.
    @discardableResult
    public mutating func proposeConfChange(_ change: ConfChange) throws(ProposalError) -> ProposalOutcome {
        try proposeEntry(kind: .confChange, data: change.encode())
    }

    mutating func proposeEntry(kind: Entry.Kind, data: [UInt8]) throws(ProposalError) -> ProposalOutcome {
        switch role {
        case .leader:
            let index = try appendProposal(kind: kind, data: data)
            return .appended(index: index, term: term)
        case .follower(let f):
            guard let l = f.leader, config.forwardProposals else { throw .notLeader(leader: f.leader) }
            let entry = Entry(term: 0, index: 0, kind: kind, data: data)
            // Proposals made before the next ready batch travel to the leader in one message.
            if let last = msgs.indices.last, msgs[last].kind == .propose, msgs[last].to == l, msgs[last].term == term {
                msgs[last].entries.append(entry)
            } else {
                var m = Message(kind: .propose, from: id, to: l, term: term)
                m.entries = [entry]
                msgs.append(m)
            }
            return .forwarded(to: l)
        case .preCandidate, .candidate:
            throw .notLeader(leader: nil)
        }
    }

    /// Asks for a linearizable read point (§6.4). The answer arrives as a ``ReadState``
    /// with the same context in a later ``Ready``; none arrives if leadership is lost
    /// meanwhile, so callers retry after a timeout.
    ///
    /// - Parameter context: unique per request.
    public mutating func readIndex(context: [UInt8]) throws(ProposalError) {
        switch role {
        case .leader:
            handleReadIndexRequest(context: context, from: id)
        case .follower(let f):
            guard let l = f.leader else { throw .notLeader(leader: nil) }
            var m = Message(kind: .readIndex, from: id, to: l, term: term)
            m.context = context
            msgs.append(m)
        case .preCandidate, .candidate:
            throw .notLeader(leader: nil)
        }
    }

    /// Asks the leader to hand leadership to `target` (§3.10); a follower forwards the request.
    public mutating func transferLeadership(to target: NodeID) {
        switch role {
        case .leader:
            startTransfer(to: target)
        case .follower(let f):
            guard let l = f.leader else { return }
            var m = Message(kind: .transferLeader, from: id, to: l, term: term)
            m.index = target
            msgs.append(m)
        case .preCandidate, .candidate:
            return
        }
    }

    /// Tells a leader that `peer` could not be reached, so it stops streaming optimistically.
    public mutating func reportUnreachable(_ peer: NodeID) {
        guard isLeader else { return }
        leader.progress.update(peer) { pr in
            if pr.state == .replicate { pr.becomeProbe() }
        }
    }

    /// Tells a leader whether the snapshot sent to `peer` was delivered.
    public mutating func reportSnapshot(_ peer: NodeID, success: Bool) {
        guard isLeader else { return }
        leader.progress.update(peer) { pr in
            guard case .snapshot = pr.state else { return }
            pr.becomeProbe()
            // Wait for the next heartbeat response before probing again.
            pr.probeSent = success
        }
    }

    /// Replaces the applied prefix of the log through `index` by a snapshot (§5.1).
    ///
    /// - Parameters:
    ///   - confState: the membership as of `index`.
    ///   - data: the state machine's encoding as of `index`.
    /// - Important: Persist the snapshot before deleting the log entries it covers from storage.
    public mutating func compact(upTo index: UInt64, confState: ConfState, data: [UInt8]) throws(CompactionError) {
        guard index > log.snapshotIndex else { throw .alreadyCompacted }
        guard index <= log.applied, index <= log.stable, let t = log.term(index) else { throw .notApplied }
        log.compact(Snapshot(metadata: .init(index: index, term: t, confState: confState), data: data))
    }

    // MARK: - Role transitions

    /// Draws the next timeout: a follower's, or with `campaigning` (and `campaignRetryTick` set) a
    /// campaign's retry.
    mutating func resetRandomizedElectionTimeout(campaigning: Bool = false) {
        if campaigning, config.campaignRetryTick > 0 {
            randomizedElectionTimeout = config.campaignRetryTick + Int.random(in: 0..<config.campaignRetryTick, using: &random)
            return
        }
        let spread = config.electionSpreadTick > 0 ? config.electionSpreadTick : config.electionTick
        randomizedElectionTimeout = config.electionTick + Int.random(in: 0..<spread, using: &random)
    }

    mutating func reset(term newTerm: UInt64) {
        if newTerm != term {
            term = newTerm
            vote = nil
        }
        electionElapsed = 0
        heartbeatElapsed = 0
        resetRandomizedElectionTimeout()
    }

    mutating func becomeFollower(term newTerm: UInt64, leader: NodeID?) {
        reset(term: newTerm)
        broadcastPending = false
        role = .follower(FollowerState(leader: leader))
    }

    mutating func becomePreCandidate() {
        precondition(!isLeader, "invalid transition leader -> pre-candidate")
        role = .preCandidate(CandidateState())
        if config.campaignRetryTick > 0 { resetRandomizedElectionTimeout(campaigning: true) }
    }

    mutating func becomeCandidate() {
        precondition(!isLeader, "invalid transition leader -> candidate")
        reset(term: term + 1)
        vote = id
        role = .candidate(CandidateState())
        if config.campaignRetryTick > 0 { resetRandomizedElectionTimeout(campaigning: true) }
    }

    mutating func becomeLeader() {
        guard case .candidate = role else { preconditionFailure("invalid transition to leader") }
        reset(term: term)
        let last = log.lastIndex
        var tracker = ProgressTracker(
            conf: confState, next: last + 1, inflightCapacity: config.maxInflightMessages,
            inflightBytes: config.maxInflightBytes)
        let stable = log.stable
        tracker.update(id) { pr in
            pr.becomeReplicate()
            pr.match = stable
            pr.next = last + 1
            pr.recentActive = true
        }
        role = .leader(LeaderState(progress: tracker, pendingConfIndex: last))
        // A no-op of the new term lets earlier entries commit (§3.6.2). The Figure 3.7 defect
        // reproduces the leader of that figure, which starts its term without one.
        if !defects.contains(.commitPreviousTerm) { appendLocal(kind: .normal, data: []) }
        broadcastAppend()
    }
}

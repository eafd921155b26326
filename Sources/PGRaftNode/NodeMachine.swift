import PGRaftStateMachine
import RaftCore
import PGRaftClient

/// One pgraft node's logic, with no I/O and no clock: the Raft core, the replicated state
/// machine, the clients' pending proposals and reads, and the policies that decide what is
/// written when, what may leave before the fsync, when to snapshot, and how membership changes.
///
/// `pgraft-consensus` runs it on its event loop (sockets, timers, the segment) and `pgraft-sim`
/// runs it for every simulated node (simulated network and storage): the simulator proves the
/// code that runs in production. Feed it every event with ``handle(_:now:)`` and perform the
/// actions it returns, in order.
///
/// The ordering rules it keeps:
/// - messages that promise nothing durable (a leader's appends, heartbeats, pre-votes) leave at
///   once; votes and append acknowledgements leave only once their batch is persisted, and are
///   dropped if the node has meanwhile moved to a later term (a newer leader's snapshot may have
///   replaced the log they vouch for);
/// - one batch is at storage at a time; a storage restart sends it again, identical (appends at
///   an existing index rewrite it, so this is idempotent);
/// - committed entries are applied while their batch is written (they are durable on a quorum
///   already), and a proposal is answered only when its own tagged entry is applied here;
/// - term and vote are written whenever they change; the commit index only with a committed
///   membership change (a restart must know the change, or it would count votes in the old one).
public struct NodeMachine: Sendable {
    /// The configuration.
    public let settings: NodeSettings
    /// The core, once the state is loaded from storage.
    public internal(set) var core: RawNode?
    /// The replicated state machine, as of `sm.appliedIndex`.
    public internal(set) var sm = ReplicatedStateMachine()

    enum Phase: Sendable {
        /// No storage yet.
        case waitingForStorage
        /// ``NodeAction/load`` asked; waiting for ``NodeEvent/loaded(_:)``.
        case loading
        /// Writing the founding state of a new cluster before the core starts.
        case founding(PersistentState)
        /// The core runs.
        case running
    }

    /// A batch at storage: what it writes and the core's batch it makes durable (none for the
    /// founding state).
    struct InFlight: Sendable {
        var batch: PersistBatch
        var ready: Ready?
    }

    var phase = Phase.waitingForStorage
    var storageUp = false
    var inFlight: InFlight?
    var nextBatch: UInt64 = 1
    /// The hard state last sent to storage.
    var savedHardState = HardState()
    /// The snapshot index being saved and compacted at storage.
    var compacting: UInt64?
    /// Whether an image is being encoded for a snapshot.
    var encodingSnapshot = false
    /// The time of the event being handled (ms, from the caller's monotonic clock).
    var now: Int64 = 0
    var ticks: UInt64 = 0
    var out: [NodeAction] = []

    // Clients.
    var nextSequence: UInt64
    var nextReadRound: UInt64
    var proposals: [UInt64: PendingProposal] = [:]
    var readBatch: [PendingRead] = []
    var readRounds: [UInt64: ReadRound] = [:]
    var readsAwaitingApply: [(index: UInt64, read: PendingRead)] = []
    var waiters: [Waiter] = []

    // What was last observed and shown.
    var observedLeader: NodeID?
    var observedRole: Role.Kind?
    var observedTerm: UInt64 = 0
    var lastPublishMs: Int64 = Int64.min / 2
    var announcedMembers: [NodeAddress] = []
    /// A membership change was applied and the core takes it at the next advance.
    var membershipPending = false
    /// Peers whose transport refuses this node as a non-member, with when they last did.
    var refusedAsNonMemberBy: [NodeID: Int64] = [:]
    var publishedNonMember = false
    /// The next publication is forced.
    var publishDue = false

    /// A machine that waits for storage.
    public init(settings: NodeSettings) {
        self.settings = settings
        nextSequence = max(1, settings.sequenceBase)
        nextReadRound = max(1, settings.sequenceBase)
    }

    /// Whether the core runs (the state is loaded).
    public var isRunning: Bool {
        if case .running = phase { return true }
        return false
    }

    /// The leader this node knows.
    public var leaderID: NodeID? { core?.leaderID }

    /// Whether a batch is at storage, waiting for its fsync.
    public var isPersisting: Bool { inFlight != nil }

    /// Handles one event at `now` (the caller's monotonic clock, ms) and returns what to do.
    public mutating func handle(_ event: NodeEvent, now: Int64) -> [NodeAction] {
        self.now = now
        switch event {
        case .storageConnected: storageConnected()
        case .storageDisconnected: storageDisconnected()
        case .loaded(let state): loaded(state)
        case .persisted(let id): persisted(id)
        case .snapshotEncoded(let snapshot): snapshotEncoded(snapshot)
        case .compacted(let index, let failure): compacted(index, failure)
        case .tick: tick()
        case .peerMessage(let message): peerMessage(message)
        case .peerUnreachable(let peer): core?.reportUnreachable(peer)
        case .peerRefusal(let peer, let refused): noteMembershipRefusal(by: peer, refused: refused)
        case .transportConnected: transportConnected()
        case .request(let id, let operation): request(id, operation)
        case .confChange(let change): proposeConfChange(change)
        }
        settle()
        defer { out.removeAll(keepingCapacity: true) }
        return out
    }

    // MARK: - Events

    private mutating func tick() {
        ticks &+= 1
        guard core != nil else { return }
        core!.tick()
        if ticks % 10 == 0 {
            expireRequests()
            promoteCaughtUpLearners()
            checkWaiters()
            // Every tenth tick a full publication, whether anything changed or not.
            publishDue = true
        }
    }

    private mutating func peerMessage(_ message: Message) {
        guard core != nil, message.to == settings.id else { return }
        // Only a leader sends these, and only to members: whatever refused this node is out of date.
        if !refusedAsNonMemberBy.isEmpty {
            switch message.kind {
            case .append, .heartbeat, .snapshot: refusedAsNonMemberBy.removeAll()
            default: break
            }
        }
        core!.step(message)
    }

    private mutating func proposeConfChange(_ change: ConfChange) {
        guard core != nil else { return }
        do {
            _ = try core!.proposeConfChange(change)
            log(.info, "membership change proposed", [("changes", "\(change.changes.map { "\($0.operation) \($0.node)" })")])
        } catch {
            log(.info, "membership change refused: \(error)")
        }
    }

    private mutating func transportConnected() {
        // A new transport dials again: refusals that still hold will come again.
        refusedAsNonMemberBy.removeAll()
        announcedMembers = []
        announceMembers()
    }

    /// Drives the core until it has nothing more to do without storage, then shows what changed.
    mutating func settle() {
        drive()
        observeRoleChanges()
    }

    // MARK: - Output

    mutating func log(_ level: NodeLogLevel, _ message: String, _ metadata: [(String, String)] = []) {
        out.append(.log(NodeLogRecord(level: level, message: message, metadata: metadata.map { .init(key: $0.0, value: $0.1) })))
    }

    mutating func reply(_ id: RequestID, _ status: ClientStatus, _ result: ClientResult, isCommit: Bool = false) {
        out.append(.reply(NodeReply(id: id, status: status, result: result, isCommit: isCommit)))
    }

    /// Sends messages; a snapshot handed over counts as delivered (the follower's answer shows
    /// whether it arrived, and the leader probes again rather than waiting on it forever).
    mutating func send(_ messages: [Message]) {
        for message in messages {
            out.append(.send(message))
            if message.kind == .snapshot { core!.reportSnapshot(message.to, success: true) }
        }
    }

    mutating func fail(_ why: String) {
        out.append(.fail(why))
    }
}

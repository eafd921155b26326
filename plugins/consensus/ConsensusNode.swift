import CShims
import Logging
import NIOCore
import PGRaftKit
import PGRaftStorage
import RaftCore

/// Answers one client request: a status and a result.
typealias Responder = (ClientStatus, ClientResult) -> Void

/// The Raft engine of this node: drives the core with the real clock, persists each batch of the
/// core's output through storage before anything depending on it leaves the node, sends messages
/// through the transport, applies committed entries to the state machine, answers clients, and
/// publishes what it knows in the shared segment.
///
/// Everything runs on one event loop (every connection of consensus.sock and the tick timer are
/// bound to it), so the state needs no lock; hence `@unchecked Sendable`.
final class ConsensusNode: @unchecked Sendable {
    let loop: EventLoop
    let settings: ConsensusSettings
    let logger: Logger
    let segment: SharedSegment?
    let counters: ComponentCounters?
    let storage = StorageLink()
    let outbox = Outbox()

    /// The core, once its state is loaded from storage.
    var core: RawNode?
    /// The replicated state machine, as of `sm.appliedIndex`.
    var sm = ReplicatedStateMachine()
    /// The batch being made durable: the core's output and the storage operations that persist it.
    var persisting: (ready: Ready, operations: [StorageOperation])?
    /// The hard state last sent to storage (term and vote are what must be durable).
    var savedHardState = RaftCore.HardState()
    /// Whether the state is being loaded from storage.
    var loading = false
    /// Whether a snapshot and compaction batch is at storage (lost, and so false again, when storage reconnects).
    var compacting = false
    /// Whether a snapshot image is being encoded off the loop.
    var encodingSnapshot = false
    /// The transport's connection.
    var transport: Channel?

    // Client requests.
    var nextSequence: UInt64
    var proposals: [UInt64: PendingProposal] = [:]
    var readBatch: [PendingRead] = []
    var readRounds: [UInt64: ReadRound] = [:]
    var readsAwaitingApply: [(index: UInt64, read: PendingRead)] = []
    var nextReadRound: UInt64 = 1
    var waiters: [StateWaiter] = []
    var measurements = Measurements()

    // What was last observed or published.
    var lastContactMs: [NodeID: Int64] = [:]
    var observedLeader: NodeID?
    var observedRole: Role.Kind?
    var observedTerm: UInt64 = 0
    var announcedMembers: [(id: NodeID, address: String)] = []
    var lastPublishMs: Int64 = 0
    var ticks: UInt64 = 0
    /// A membership change was applied and the core takes it at the next advance.
    var membershipPending = false
    /// Peers whose transport refused this node's greeting as a non-member, with when they last did
    /// (monotonic ms); forgotten when they accept it, when a leader's message arrives, or after
    /// `refusalMemoryMs` without a repeat.
    var refusedAsNonMemberBy: [NodeID: Int64] = [:]
    /// Whether the role last published was non-member (its changes are logged).
    var publishedNonMember = false

    init(loop: EventLoop, settings: ConsensusSettings, logger: Logger, segment: SharedSegment?, counters: ComponentCounters?) {
        self.loop = loop
        self.settings = settings
        self.logger = logger
        self.segment = segment
        self.counters = counters
        // Unique across restarts: a sequence from an earlier life can never match a new proposal.
        self.nextSequence = UInt64(max(1, pgr_wall_ms())) << 20
        // Likewise for read rounds: a leader may still hold a round of this node's previous life.
        self.nextReadRound = UInt64(max(1, pgr_wall_ms())) << 20
    }

    static func nowMs() -> Int64 { pgr_monotonic_ms() }

    // MARK: - Events (each ends by settling: driving the core and flushing writes)

    /// Starts the tick timer.
    func start() {
        loop.scheduleRepeatedTask(initialDelay: .milliseconds(settings.tickMs), delay: .milliseconds(settings.tickMs)) { [self] _ in
            tick()
        }
    }

    /// One tick passed: the core's clock, the operator's queue; every tenth tick the slower chores
    /// (time-outs, learner promotion, waiters, a full publication of the cluster state).
    func tick() {
        ticks &+= 1
        if core != nil {
            core!.tick()
            consumeCommandQueue()
            if ticks % 10 == 0 {
                expireRequests()
                promoteCaughtUpLearners()
                checkWaiters()
            }
        }
        settle()
        if ticks % 10 == 0 { publish(force: true) }
    }

    /// Storage greeted on `channel`.
    func storageConnected(_ channel: Channel) {
        storage.attach(channel)
        logger.info("storage connected")
        if core == nil {
            load()
        } else if let batch = persisting {
            // Whatever was in flight may not have reached the disk: send it again (appends at an
            // existing index rewrite it, the hard state is overwritten, so this is idempotent).
            sendPersist(batch.operations)
        }
        compacting = false
        settle()
    }

    /// A reply from storage.
    func storageReply(_ payload: [UInt8]) {
        do {
            try storage.received(payload)
        } catch {
            logger.error("bad reply from storage: \(error); closing its connection")
            storage.channel?.close(promise: nil)
        }
        settle()
    }

    /// The transport greeted on `channel`.
    func transportConnected(_ channel: Channel) {
        transport?.close(promise: nil)
        transport = channel
        logger.info("transport connected")
        // A new transport dials again: refusals that still hold will come again.
        refusedAsNonMemberBy.removeAll()
        announcedMembers = []
        announceMembers()
        settle()
    }

    /// A Raft message from a peer.
    func peerMessage(_ payload: [UInt8]) {
        guard core != nil else { return }
        let envelope: HubPeerMessage
        do {
            envelope = try HubPeerMessage.decode(payload)
        } catch {
            logger.warning("malformed peer message from transport: \(error)")
            return
        }
        guard let message = Message.decode(envelope.message), message.from == envelope.peer, message.to == settings.nodeId else {
            logger.warning("dropped an undecodable or misaddressed raft message from peer \(envelope.peer)")
            counters?.increment(.messagesDropped)
            return
        }
        lastContactMs[message.from] = pgr_wall_ms()
        // Only a leader sends these, and only to members: whatever refused this node is out of date.
        if !refusedAsNonMemberBy.isEmpty {
            switch message.kind {
            case .append, .heartbeat, .snapshot: refusedAsNonMemberBy.removeAll()
            default: break
            }
        }
        measurements.received(message)
        count(received: message)
        core!.step(message)
        settle()
    }

    /// The transport reports a peer connected or gone.
    func peerStatus(_ payload: [UInt8]) {
        var reader = WireReader(payload)
        guard let peer = try? reader.u64(), let raw = try? reader.u8(), let state = HubPeerState(rawValue: raw) else { return }
        switch state {
        case .disconnected:
            if core != nil {
                core!.reportUnreachable(peer)
                settle()
            }
        case .connected:
            noteMembershipRefusal(by: peer, refused: false)
        case .refusedAsNonMember:
            noteMembershipRefusal(by: peer, refused: true)
        }
    }

    /// A client request on `channel`.
    func clientRequest(_ payload: [UInt8], on channel: Channel) {
        let request: ClientRequest
        do {
            request = try ClientRequest.decode(payload)
        } catch {
            logger.warning("malformed client request: \(error)")
            respond(on: channel, id: ClientReply.peekID(payload), .invalid, .message("malformed request: \(error)"))
            settle()
            return
        }
        handle(request.operation) { [self] status, result in
            respond(on: channel, id: request.id, status, result)
        }
        settle()
    }

    /// A connection closed.
    func disconnected(_ channel: Channel) {
        if storage.detach(channel) {
            logger.warning("storage disconnected; persisting waits until it is back")
            // Loading starts again from the beginning when storage is back (its replies are lost).
            if core == nil { loading = false }
        }
        if transport === channel {
            transport = nil
            logger.warning("transport disconnected")
        }
    }

    private func respond(on channel: Channel, id: UInt64, _ status: ClientStatus, _ result: ClientResult) {
        let reply = ClientReply(id: id, status: status, leader: core?.leaderID ?? 0, result: result)
        outbox.write(Frame(type: ClientFrameType.reply, payload: reply.encoded()), to: channel)
    }

    /// Drives the core until it has nothing more to do without storage, then flushes every write.
    func settle() {
        drive()
        observeRoleChanges()
        outbox.flush()
    }
}

/// Frames written during one event, flushed together at its end: one syscall per connection
/// however many messages the event produced.
final class Outbox {
    private var dirty: [ObjectIdentifier: Channel] = [:]

    /// Queues `frame` on `channel`.
    func write(_ frame: Frame, to channel: Channel) {
        channel.write(channel.allocator.buffer(bytes: frame.encoded()), promise: nil)
        dirty[ObjectIdentifier(channel)] = channel
    }

    /// Flushes every connection written to since the last flush.
    func flush() {
        for channel in dirty.values { channel.flush() }
        dirty.removeAll(keepingCapacity: true)
    }
}

extension ClientReply {
    /// The request id at the start of a payload that failed to decode (0 when even that is missing).
    static func peekID(_ payload: [UInt8]) -> UInt64 {
        payload.count >= 8 ? payload.loadU64(at: 0) : 0
    }
}

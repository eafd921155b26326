import CShims
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import PGRaftKit
import PGRaftClient
import PGRaftNode
import PGRaftStateMachine
import PGRaftStorageProtocol
import RaftCore
import PGRaftBytes

/// Answers one client request: a status and a result.
typealias Responder = (ClientStatus, ClientResult) -> Void

/// Runs this node's ``NodeMachine`` with the real world: turns what arrives on consensus.sock
/// (storage, transport, clients), the tick timer and the operator's queue into the machine's
/// events, and performs the actions it returns: frames to storage and the transport, replies,
/// the cluster state in the segment, counters and log lines. Every decision is the machine's;
/// this is I/O only, so the simulator, which runs the same machine, proves what runs here.
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

    /// The node's logic.
    var machine: NodeMachine
    /// The transport's connection.
    var transport: Channel?
    /// Whom each request in the machine answers, and when it was asked (monotonic ns).
    var responders: [RequestID: (respond: Responder, startedNs: UInt64)] = [:]
    var nextRequest: RequestID = 1
    /// Events raised while actions are performed, handled once they are done (in order).
    var queued: [NodeEvent] = []
    var draining = false
    var measurements = Measurements()
    /// When each peer last sent a Raft message (wall clock ms), for the published state.
    var lastContactMs: [NodeID: Int64] = [:]
    /// Bumped on every storage connection, so that a load begun on an earlier one is dropped.
    var storageGeneration = 0

    init(loop: EventLoop, settings: ConsensusSettings, logger: Logger, segment: SharedSegment?, counters: ComponentCounters?) {
        self.loop = loop
        self.settings = settings
        self.logger = logger
        self.segment = segment
        self.counters = counters
        // Seeded differently on every start, so that two nodes never share a timeout sequence,
        // and with proposal tags unique across restarts (a sequence from an earlier life can never
        // match a new proposal).
        let wallMs = UInt64(max(1, pgr_wall_ms()))
        let seed = wallMs ^ (settings.nodeId << 40) ^ UInt64(getpid())
        machine = NodeMachine(settings: settings.nodeSettings(sequenceBase: wallMs << 20, randomSeed: seed))
    }

    static func nowMs() -> Int64 { pgr_monotonic_ms() }

    /// Hands `event` to the machine and performs what it returns; events raised meanwhile follow.
    func feed(_ event: NodeEvent) {
        queued.append(event)
        guard !draining else { return }
        draining = true
        while !queued.isEmpty {
            let next = queued.removeFirst()
            perform(machine.handle(next, now: Self.nowMs()))
        }
        draining = false
        outbox.flush()
    }

    // MARK: - Events

    /// Starts the tick timer.
    func start() {
        loop.scheduleRepeatedTask(initialDelay: .milliseconds(settings.tickMs), delay: .milliseconds(settings.tickMs)) { [self] _ in
            feed(.tick)
            if machine.isRunning { consumeCommandQueue() }
        }
    }

    /// Storage greeted on `channel`.
    func storageConnected(_ channel: Channel) {
        storage.attach(channel)
        storageGeneration += 1
        logger.info("storage connected")
        feed(.storageConnected)
    }

    /// A reply from storage on `channel`; one arriving on a connection storage has since replaced is dropped.
    func storageReply(_ payload: [UInt8], on channel: Channel) {
        guard storage.channel === channel else { return }
        do {
            try storage.received(payload)
        } catch {
            logger.error("bad reply from storage: \(error); closing its connection")
            channel.close(promise: nil)
        }
        outbox.flush()
    }

    /// The transport greeted on `channel`.
    func transportConnected(_ channel: Channel) {
        transport?.close(promise: nil)
        transport = channel
        logger.info("transport connected")
        feed(.transportConnected)
    }

    /// A Raft message from a peer.
    func peerMessage(_ payload: [UInt8]) {
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
        measurements.received(message)
        count(received: message)
        feed(.peerMessage(message))
    }

    /// The transport reports a peer connected or gone.
    func peerStatus(_ payload: [UInt8]) {
        var reader = ByteReader(payload)
        guard let peer = try? reader.u64(), let raw = try? reader.u8(), let state = HubPeerState(rawValue: raw) else {
            logger.warning("malformed peer status from transport")
            return
        }
        switch state {
        case .disconnected: feed(.peerUnreachable(peer))
        case .connected: feed(.peerRefusal(peer, refused: false))
        case .refusedAsNonMember: feed(.peerRefusal(peer, refused: true))
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
            outbox.flush()
            return
        }
        handle(request.operation) { [self] status, result in
            respond(on: channel, id: request.id, status, result)
        }
    }

    /// Serves `operation`; `respond` is called exactly once, now or later.
    func handle(_ operation: ClientOperation, respond: @escaping Responder) {
        switch operation {
        case .metrics:
            respond(.ok, .metrics(measurements.snapshot))
            outbox.flush()
        case .addNode(let id, let address) where (1...UInt64(Int32.max)).contains(id) && Member(id: Int(id), address: address) == nil:
            respond(.invalid, .message("address \"\(address)\" is not host:port (IPv6 as [::1]:7001)"))
            outbox.flush()
        default:
            let id = nextRequest
            nextRequest += 1
            responders[id] = (respond, DispatchClock.nowNs())
            feed(.request(id, operation))
        }
    }

    /// A connection closed.
    func disconnected(_ channel: Channel) {
        if storage.detach(channel) {
            logger.warning("storage disconnected; persisting waits until it is back")
            feed(.storageDisconnected)
        }
        if transport === channel {
            transport = nil
            logger.warning("transport disconnected")
        }
    }

    private func respond(on channel: Channel, id: UInt64, _ status: ClientStatus, _ result: ClientResult) {
        let reply = ClientReply(id: id, status: status, leader: machine.leaderID ?? 0, result: result)
        outbox.write(Frame(type: ClientFrameType.reply, payload: reply.encoded()), to: channel)
    }

    /// Logs and exits: the supervisor restarts consensus, which loads again from storage.
    func fatal(_ message: String) -> Never {
        logger.critical("\(message); exiting so that a restart loads the state again")
        exit(1)
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

/// The monotonic clock in nanoseconds, for latencies.
enum DispatchClock {
    static func nowNs() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}

import Logging
import NIOCore
import NIOPosix
import PGRaftClient

/// A process's one connection to consensus on `<run_dir>/consensus.sock` (the api's, shared by
/// every HTTP connection; the bridge's): it greets with `ClientFrameType.hello`, numbers requests,
/// and completes each with the reply that carries its id, in whatever order they come.
///
/// Every request gets an answer: the reply, or a synthesized one when consensus cannot give it:
/// `.unavailable` while there is no connection, `.timedOut` for every request pending when it drops,
/// `.timedOut` after `timeout` (the outcome of a write is then unknown). The connection is redialled
/// with a doubling delay (100 ms up to 1 s). State is confined to one event loop.
public final class ConsensusClient: ConsensusLinking, @unchecked Sendable {
    /// The dialling state (see `Redialing`).
    public let redial: RedialState
    /// How long a request waits for its reply.
    public let timeout: TimeAmount
    private let path: String
    /// Where the link's events are logged.
    public let logger: Logger
    private var nextId: UInt64 = 1
    private var pending: [UInt64: Pending] = [:]

    private struct Pending {
        let promise: EventLoopPromise<ClientReply>
        let deadline: Scheduled<Void>
    }

    /// A client of the consensus socket at `path`, living on `loop`; call `start()` to dial.
    public init(path: String, loop: EventLoop, logger: Logger, timeout: TimeAmount = .seconds(10)) {
        self.path = path
        self.logger = logger
        self.timeout = timeout
        self.redial = RedialState(loop: loop, maxMs: 1000)
    }

    /// Sends `operation` and returns a future for its reply (completed on the client's loop; it never
    /// fails). `timeout` overrides the client's for this request.
    public func submit(_ operation: ClientOperation, timeout: TimeAmount? = nil) -> EventLoopFuture<ClientReply> {
        let loop = redial.loop
        if loop.inEventLoop { return send(operation, timeout: timeout ?? self.timeout) }
        return loop.flatSubmit { self.send(operation, timeout: timeout ?? self.timeout) }
    }

    private func send(_ operation: ClientOperation, timeout: TimeAmount) -> EventLoopFuture<ClientReply> {
        let id = nextId
        nextId += 1
        guard let channel = redial.channel else {
            return redial.loop.makeSucceededFuture(Self.unavailable(id, "consensus is not reachable at \(path)"))
        }
        let promise = redial.loop.makePromise(of: ClientReply.self)
        let deadline = redial.loop.scheduleTask(in: timeout) {
            guard let entry = self.pending.removeValue(forKey: id) else { return }
            entry.promise.succeed(
                ClientReply(
                    id: id, status: .timedOut, leader: 0,
                    result: .message("consensus did not answer within \(timeout.nanoseconds / 1_000_000) ms; the outcome is unknown (a write may still commit)")))
        }
        pending[id] = Pending(promise: promise, deadline: deadline)
        channel.send(Frame(type: ClientFrameType.request, payload: ClientRequest(id: id, operation: operation).encoded()))
        return promise.futureResult
    }

    /// The socket's path (see `ConsensusLinking`).
    public var socketPath: String { path }
    /// The client's greeting.
    public var helloType: UInt16 { ClientFrameType.hello }

    /// The link is up: requests can be sent.
    public func linkUp(_ channel: Channel) {}

    /// The link is gone: every pending request is answered (outcome unknown).
    public func linkDown(_ channel: Channel) {
        failAllPending()
    }

    /// A reply: completes the request with its id.
    public func received(_ frame: Frame, on context: ChannelHandlerContext) {
        guard frame.type == ClientFrameType.reply else {
            logger.warning("unexpected frame type \(frame.type) from consensus; ignored")
            return
        }
        let reply: ClientReply
        do {
            reply = try ClientReply.decode(frame.payload)
        } catch {
            // One undecodable reply means the stream cannot be trusted: drop it, which fails what is pending.
            logger.error("malformed reply from consensus (\(error)); reconnecting")
            context.close(promise: nil)
            return
        }
        guard let entry = pending.removeValue(forKey: reply.id) else {
            logger.debug("reply to request \(reply.id), which already timed out or was never sent")
            return
        }
        entry.deadline.cancel()
        entry.promise.succeed(reply)
    }

    private func failAllPending() {
        let lost = pending
        pending = [:]
        for (id, entry) in lost {
            entry.deadline.cancel()
            // Answered as a time-out (504): a write may have committed, so this is not a plain refusal.
            entry.promise.succeed(
                ClientReply(
                    id: id, status: .timedOut, leader: 0,
                    result: .message("the connection to consensus was lost before it answered; the outcome of a write is unknown")))
        }
    }

    private static func unavailable(_ id: UInt64, _ message: String) -> ClientReply {
        ClientReply(id: id, status: .unavailable, leader: 0, result: .message(message))
    }
}

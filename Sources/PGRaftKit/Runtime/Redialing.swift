import NIOCore

/// The life of a connection that must always be there: dial, and after a failure or a loss dial
/// again after a delay that doubles from `initialMs` up to `maxMs`; `stop()` ends it.
/// Its state is touched only on `loop`.
public final class RedialState {
    /// The loop that owns this state.
    public let loop: EventLoop
    /// The first retry delay.
    public let initialMs: Int64
    /// The longest retry delay.
    public let maxMs: Int64
    /// The next retry delay.
    public var delayMs: Int64
    /// Whether `stop()` was called.
    public var stopped = false
    /// The current connection, if any.
    public var channel: Channel?
    /// Whether the current failure to connect was logged (it is logged once, not at every retry).
    public var problemLogged = false

    /// A state for dialling on `loop`.
    public init(loop: EventLoop, initialMs: Int64 = 100, maxMs: Int64) {
        self.loop = loop
        self.initialMs = initialMs
        self.maxMs = max(maxMs, initialMs)
        self.delayMs = initialMs
    }
}

/// A connection kept up by redialling (the peer dialers, the link to consensus).
public protocol Redialing: AnyObject, Sendable {
    /// The shared dialling state.
    var redial: RedialState { get }
    /// Makes one connection attempt; calls `retry()` when it fails or the connection is lost.
    func connect()
}

extension Redialing {
    /// Starts dialling.
    public func start() {
        redial.loop.execute { self.connect() }
    }

    /// Closes the connection and stops dialling.
    public func stop() {
        redial.loop.execute {
            self.redial.stopped = true
            self.redial.channel?.close(promise: nil)
        }
    }

    /// Dials again after the current delay, and doubles it.
    public func retry() {
        guard !redial.stopped else { return }
        let delay = redial.delayMs
        redial.delayMs = min(redial.delayMs * 2, redial.maxMs)
        redial.loop.scheduleTask(in: .milliseconds(delay)) { self.connect() }
    }

    /// Keeps a newly made connection, or closes it when dialling was stopped meanwhile.
    /// - Returns: whether the connection was kept.
    public func adopt(_ channel: Channel) -> Bool {
        guard !redial.stopped else {
            channel.close(promise: nil)
            return false
        }
        redial.channel = channel
        return true
    }

    /// A connection works again: the next loss is retried after the initial delay.
    public func resetBackoff() {
        redial.delayMs = redial.initialMs
    }
}

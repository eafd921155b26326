import Foundation
import Logging
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
import PGRaftStorageProtocol
#endif

/// Storage's side of the protocol: connects to consensus's socket (retrying with backoff until it
/// exists, since storage starts first), greets it (`StorageFrameType.hello`), then serves the requests that arrive on that connection
/// until it closes, and connects again.
///
/// One thread does everything for a connection: it waits for bytes, drains all that the socket
/// holds, decodes every whole request frame, hands them to `StorageService.process` as one batch
/// (one fsync), and writes the replies. While it syncs, new requests pile up in the socket buffer:
/// they form the next batch. That is group commit without a hand-off between threads.
public final class StorageEndpoint: @unchecked Sendable {
    private let service: StorageService
    private let logger: Logger
    private let lock = NSLock()
    private var stopped = false
    private var connection: Int32 = -1

    /// An endpoint serving `service`.
    public init(service: StorageService, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    /// Asks `run` to return: closes the current connection and stops reconnecting.
    public func stop() {
        lock.withLock {
            stopped = true
            if connection >= 0 { shutdown(connection, Int32(SHUT_RDWR)) }
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    /// Connects to `socketPath` and serves, reconnecting after each disconnection, until `stop()`.
    ///
    /// - Throws: the engine's failure (an I/O error): the process must exit and recover from disk.
    public func run(socketPath: String) throws {
        var delayMs = 10
        var waitingLogged = false
        while !isStopped {
            let fd: Int32
            do {
                fd = try UnixSocket.connect(path: socketPath)
            } catch {
                if !waitingLogged {
                    logger.info("waiting for consensus", metadata: ["socket": "\(socketPath)", "reason": "\(error)"])
                    waitingLogged = true
                }
                sleepUnlessStopped(milliseconds: delayMs)
                delayMs = min(delayMs * 2, 1000)
                continue
            }
            let proceed = lock.withLock {
                guard !stopped else { return false }
                connection = fd
                return true
            }
            guard proceed else {
                close(fd)
                return
            }
            logger.info("connected to consensus", metadata: ["socket": "\(socketPath)"])
            // Says which of consensus's clients this is; a lost hello shows as a closed connection below.
            _ = Self.sendAll(fd, Frame(type: StorageFrameType.hello, payload: []).encoded())
            delayMs = 10
            waitingLogged = false
            defer {
                lock.withLock { connection = -1 }
                close(fd)
            }
            try serve(fd: fd)
            if !isStopped { logger.info("consensus closed the connection; reconnecting") }
        }
    }

    private func sleepUnlessStopped(milliseconds: Int) {
        var left = milliseconds
        while left > 0 && !isStopped {
            let step = min(left, 50)
            usleep(UInt32(step) * 1000)
            left -= step
        }
    }

    /// Serves one connection until the peer closes it, sends garbage framing, or `stop()` is called.
    ///
    /// - Throws: the engine's failure, after the replies of the failed batch were sent.
    public func serve(fd: Int32) throws {
        var decoder = FrameDecoder(maxPayload: Frame.localMaxPayload)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while !isStopped {
            // Poll briefly for the first bytes, then block for them (stop() shuts the socket down,
            // which ends the wait), then take everything else already queued without waiting: that
            // is the batch. The poll serves a writer that sends its next request as soon as it has
            // its acknowledgement without the thread going to sleep and being woken up.
            var closed = false
            var received = false
            var flags = Int32(MSG_DONTWAIT)
            let pollUntil = Self.monotonicNanoseconds() + Self.pollNanoseconds
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, flags) }
                if n > 0 {
                    decoder.feed(buffer[0..<n])
                    received = true
                    flags = Int32(MSG_DONTWAIT)
                    if decoder.bufferedByteCount < Self.maxBatchBytes { continue }
                    break
                }
                if n == 0 { closed = true }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK { closed = true }
                if !closed && !received {
                    if Self.monotonicNanoseconds() >= pollUntil { flags = 0 }
                    continue
                }
                break
            }
            var requests: [StorageRequest] = []
            var rejected: [StorageReply] = []
            do {
                while let frame = try decoder.next() {
                    guard frame.type == StorageFrameType.request else {
                        rejected.append(Self.malformed(id: 0, "frame type \(frame.type) is not a storage request"))
                        continue
                    }
                    do {
                        requests.append(try StorageRequest.decode(frame.payload))
                    } catch {
                        rejected.append(Self.malformed(id: StorageRequest.peekID(frame.payload), error.description))
                    }
                }
            } catch {
                logger.warning("closing the connection to consensus", metadata: ["reason": "\(error)"])
                closed = true
            }
            for reply in rejected {
                logger.warning("malformed storage request", metadata: ["id": "\(reply.id)", "reason": "\(reply.result)"])
            }
            let replies = requests.isEmpty ? rejected : service.process(requests) + rejected
            if !replies.isEmpty {
                var out: [UInt8] = []
                for reply in replies {
                    out.append(contentsOf: Frame(type: StorageFrameType.reply, payload: reply.encoded()).encoded())
                }
                if !Self.sendAll(fd, out) { closed = true }
            }
            if let failure = service.failure { throw failure }
            if closed { return }
        }
    }

    /// A batch stops growing once this many request bytes are buffered (the rest waits for the next).
    static let maxBatchBytes = 8 * 1024 * 1024

    /// How long the thread polls for the next request before it blocks: about a socket round trip,
    /// so that a busy connection is served without sleeps, and an idle one costs no CPU.
    static let pollNanoseconds: UInt64 = 50_000

    /// CLOCK_MONOTONIC in nanoseconds.
    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    static func malformed(id: UInt64, _ reason: String) -> StorageReply {
        StorageReply(id: id, status: .malformed, operation: 0, result: .error(reason))
    }

    /// Writes all of `bytes` without raising SIGPIPE; false when the peer is gone.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        UnixSocket.sendAll(fd, bytes)
    }
}

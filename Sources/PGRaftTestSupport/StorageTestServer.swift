import CShims
import Foundation
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
import PGRaftStorageProtocol
#endif

/// Plays consensus for tests and benchmarks: listens where storage connects and hands out a
/// `StorageClient` per accepted connection.
public final class StorageTestServer: @unchecked Sendable {
    /// The socket path.
    public let path: String
    private let fd: Int32

    /// Listens at `path` (a stale socket file is replaced).
    public init(path: String) throws {
        self.path = path
        fd = try UnixSocket.listen(path: path, nonBlocking: true)
    }

    /// Waits up to `timeout` seconds for storage to connect.
    public func accept(timeout: Double) throws -> StorageClient {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let client = pgr_accept_nonblocking(fd)
            if client >= 0 {
                let flags = fcntl(client, F_GETFL)
                _ = fcntl(client, F_SETFL, flags & ~O_NONBLOCK)
                return StorageClient(fd: client)
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { throw SystemError("accept \(path)") }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw StorageClientError.timedOut("no connection on \(path) within \(timeout) s") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, Int32(min(left, 0.2) * 1000) + 1)
        }
    }

    /// Stops listening and removes the socket file.
    public func close() {
        Glibc.close(fd)
        unlink(path)
    }
}

/// Why a client call did not return a successful reply.
public enum StorageClientError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The connection closed before the reply came.
    case connectionClosed
    /// The reply did not come in time.
    case timedOut(String)
    /// Storage answered with an error status.
    case rejected(StorageStatus, String)
    /// Storage answered with a result of another kind than the operation's.
    case unexpected(String)

    /// A sentence.
    public var description: String {
        switch self {
        case .connectionClosed: return "the storage connection closed"
        case .timedOut(let what): return "timed out: \(what)"
        case .rejected(let status, let reason): return "storage answered \(status): \(reason)"
        case .unexpected(let what): return "unexpected reply: \(what)"
        }
    }
}

/// One pending request: wait on it for its reply, from a thread (`wait`) or a task (`reply`).
public final class StorageTicket: @unchecked Sendable {
    /// The request's id.
    public let id: UInt64
    private let client: StorageClient
    private let condition = NSCondition()
    private var outcome: Result<StorageReply, StorageClientError>?
    /// The task waiting in `reply()`, resumed by `complete` or, past `replyDeadline`, by the
    /// client's watchdog.
    private var continuation: CheckedContinuation<Result<StorageReply, StorageClientError>, Never>?
    private var replyDeadline = Date.distantFuture

    init(id: UInt64, client: StorageClient) {
        self.id = id
        self.client = client
    }

    func complete(_ result: Result<StorageReply, StorageClientError>) {
        condition.lock()
        guard outcome == nil else {
            condition.unlock()
            return
        }
        outcome = result
        let waitingTask = continuation
        continuation = nil
        condition.unlock()
        // Broadcast after unlocking, so that the woken waiters do not block at once on the lock.
        condition.broadcast()
        waitingTask?.resume(returning: result)
    }

    /// The reply (whatever its status), suspending the calling task until it arrives, the
    /// connection closes, or about `timeout` seconds pass. The client's reader thread reads it: no
    /// thread blocks waiting for it. One task at a time may await a ticket.
    public func reply(timeout: Double = 30) async throws(StorageClientError) -> StorageReply {
        let result = await withCheckedContinuation { (waiting: CheckedContinuation<Result<StorageReply, StorageClientError>, Never>) in
            condition.lock()
            if let outcome {
                condition.unlock()
                waiting.resume(returning: outcome)
                return
            }
            precondition(continuation == nil, "two tasks await the reply to request \(id); one would never resume")
            continuation = waiting
            replyDeadline = Date().addingTimeInterval(timeout)
            condition.unlock()
            client.wantReaderThread()
        }
        return try result.get()
    }

    /// Whether a task is suspended in `reply()`.
    package var hasWaitingTask: Bool {
        condition.lock()
        defer { condition.unlock() }
        return continuation != nil
    }

    /// Fails the task waiting in `reply()` with `timedOut` when its deadline has passed (the
    /// ticket itself stays pending: its reply may still come).
    func expireReplyWait(now: Date) {
        condition.lock()
        guard let waiting = continuation, replyDeadline <= now else {
            condition.unlock()
            return
        }
        continuation = nil
        condition.unlock()
        waiting.resume(returning: .failure(.timedOut("no reply to request \(id) by \(replyDeadline)")))
    }

    var result: Result<StorageReply, StorageClientError>? {
        condition.lock()
        defer { condition.unlock() }
        return outcome
    }

    /// Sleeps until the outcome arrives or `deadline` passes; false on timeout.
    func sleep(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil {
            if !condition.wait(until: deadline) { return outcome != nil }
        }
        return true
    }

    /// Whether the reply (or a failure) has arrived; reads what the socket already holds when
    /// nobody is reading it.
    public var isComplete: Bool {
        if result == nil { client.pump() }
        return result != nil
    }

    /// The reply (whatever its status), waiting up to `timeout` seconds.
    public func wait(timeout: Double = 30) throws(StorageClientError) -> StorageReply {
        guard let result = client.await(self, deadline: Date().addingTimeInterval(timeout)) else {
            throw .timedOut("no reply to request \(id) within \(timeout) s")
        }
        return try result.get()
    }
}

/// Consensus's side of one storage connection, for tests and benchmarks: requests are pipelined
/// (many in flight from many threads), replies matched by id.
///
/// Sending is combined: a caller encodes its requests into a shared outbox under the outbox lock,
/// and the first caller that finds nobody sending becomes the sender and writes everything the
/// outbox holds, including what others add meanwhile, until it is empty. Many writers thus share a
/// few `send` calls and never wait on a lock held across a system call.
///
/// One thread at a time holds the reader role: it reads replies and completes their tickets. A
/// caller that waits while nobody reads takes the role itself and keeps it until its own reply is
/// there, so a single writer sends and receives on its own thread, with no hand-off between threads
/// per request. When it leaves other replies outstanding, a reader thread takes the role over and
/// keeps it while requests are outstanding: with many writers, they only sleep until it completes
/// their tickets. `isComplete`, `isOpen` and a send that finds the socket full read what is already
/// there when nobody holds the role, so that replies never pile up unread.
///
/// It keeps its own descriptor rather than a ``BlockingSocket``: many threads send and wait on it
/// at once, non-blocking, which the one-caller-at-a-time blocking socket is not made for.
public final class StorageClient: @unchecked Sendable {
    private let fd: Int32
    /// Guards the three fields below it; taken before `state` when both are needed, never after.
    /// `close()` waits on it for the sender to finish.
    private let outboxLock = NSCondition()
    private var nextID: UInt64 = 1
    /// Encoded requests not yet handed to the socket, in order.
    private var outbox: [UInt8] = []
    /// A caller is writing the outbox out; it keeps doing so until the outbox is empty.
    private var sending = false
    /// Guards the fields below it; the reader thread sleeps on it.
    private let state = NSCondition()
    private var pending: [UInt64: StorageTicket] = [:]
    private var closed = false
    private var readerActive = false
    /// The reader thread is asked to take the role over.
    private var readerThreadWanted = false
    private let done = DispatchSemaphore(value: 0)
    /// Ends the waits of tasks in `StorageTicket.reply` that outlive their deadline.
    private let watchdog: DispatchSourceTimer
    /// Used only by the holder of the reader role.
    private var decoder = FrameDecoder(maxPayload: Frame.localMaxPayload)
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    init(fd: Int32) {
        self.fd = fd
        watchdog = DispatchSource.makeTimerSource(queue: .global())
        Thread.detachNewThread { [self] in readerThread() }
        watchdog.setEventHandler { [weak self] in self?.expireReplyWaits() }
        watchdog.schedule(deadline: .now() + Self.watchdogPeriod, repeating: Self.watchdogPeriod)
        watchdog.activate()
    }

    /// How often the watchdog looks for overdue waits.
    private static let watchdogPeriod = 0.1

    private func expireReplyWaits() {
        let outstanding = state.withLock { Array(pending.values) }
        let now = Date()
        for ticket in outstanding { ticket.expireReplyWait(now: now) }
    }

    /// Whether the connection is still open.
    public var isOpen: Bool {
        pump()
        return state.withLock { !closed }
    }

    /// Queues a request built by `make` under the outbox lock (so operations built from shared
    /// state, such as the next index, reach storage in the order they were built) and sends it, or
    /// leaves it to the caller already sending. `make` must not use this client.
    public func submit(_ make: () throws -> StorageOperation) throws -> StorageTicket {
        try submitAll(count: 1, make)[0]
    }

    /// Queues the operations `make` builds (called `count` times, in order, under the outbox lock;
    /// it must not use this client) to go out together, as consensus sends what it has gathered,
    /// and sends them unless another caller is sending; returns their tickets in order. When `make`
    /// throws, nothing is sent. A failed send shows as `connectionClosed` on the tickets.
    public func submitAll(count: Int, _ make: () throws -> StorageOperation) throws -> [StorageTicket] {
        let (tickets, mustSend): ([StorageTicket], Bool) = try outboxLock.withLock {
            let operations = try (0..<count).map { _ in try make() }
            let first = nextID
            let tickets = (0..<UInt64(count)).map { StorageTicket(id: first + $0, client: self) }
            let open = state.withLock {
                guard !closed else { return false }
                for ticket in tickets { pending[ticket.id] = ticket }
                return true
            }
            guard open else { throw StorageClientError.connectionClosed }
            nextID += UInt64(count)
            for (ticket, operation) in zip(tickets, operations) {
                outbox += Frame(type: StorageFrameType.request, payload: StorageRequest(id: ticket.id, operation: operation).encoded()).encoded()
            }
            return (tickets, claimSender())
        }
        if mustSend { flushOutbox() }
        return tickets
    }

    /// Sends `operation` without waiting.
    public func submit(_ operation: StorageOperation) throws -> StorageTicket {
        try submit { operation }
    }

    /// Sends raw bytes (for tests of malformed input).
    public func sendRaw(_ bytes: [UInt8]) {
        let mustSend = outboxLock.withLock {
            outbox += bytes
            return claimSender()
        }
        if mustSend { flushOutbox() }
    }

    /// Under the outbox lock: makes the caller the sender unless somebody already is.
    private func claimSender() -> Bool {
        guard !sending else { return false }
        sending = true
        return true
    }

    /// As the sender: writes the outbox out until it stays empty (or the client is closed), then
    /// gives the role up.
    private func flushOutbox() {
        while true {
            let bytes: [UInt8]? = outboxLock.withLock {
                if state.withLock({ closed }) { outbox = [] }
                guard !outbox.isEmpty else {
                    sending = false
                    outboxLock.broadcast()
                    return nil
                }
                defer { outbox = [] }
                return outbox
            }
            guard let bytes else { return }
            if !send(bytes) { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Sends `operation` and returns its successful result.
    /// - Throws: `StorageClientError.rejected` for an error status.
    public func call(_ operation: StorageOperation, timeout: Double = 30) throws -> StorageResult {
        let reply = try submit(operation).wait(timeout: timeout)
        guard reply.status == .ok || reply.status == .persisted else {
            if case .error(let reason) = reply.result { throw StorageClientError.rejected(reply.status, reason) }
            throw StorageClientError.rejected(reply.status, "")
        }
        return reply.result
    }

    /// Appends and returns the last index once persisted.
    @discardableResult
    public func append(_ entries: [LogEntry]) throws -> UInt64 {
        guard case .appended(let last) = try call(.append(entries)) else { throw StorageClientError.unexpected("append") }
        return last
    }

    /// Reads entries `from..<to`.
    public func entries(from: UInt64, to: UInt64, maxBytes: UInt64 = .max) throws -> [LogEntry] {
        guard case .entries(let entries) = try call(.entries(from: from, to: to, maxBytes: maxBytes)) else {
            throw StorageClientError.unexpected("entries")
        }
        return entries
    }

    /// First index, last index and last term.
    public func bounds() throws -> (first: UInt64, last: UInt64, lastTerm: UInt64) {
        guard case .bounds(let first, let last, let term) = try call(.bounds) else { throw StorageClientError.unexpected("bounds") }
        return (first, last, term)
    }

    /// The state consensus starts from.
    public func loadState() throws -> StorageState {
        guard case .state(let state) = try call(.loadState) else { throw StorageClientError.unexpected("loadState") }
        return state
    }

    /// Counters.
    public func stats() throws -> StorageStats {
        guard case .stats(let stats) = try call(.stats) else { throw StorageClientError.unexpected("stats") }
        return stats
    }

    /// Closes the connection; pending requests fail with `connectionClosed`.
    public func close() {
        watchdog.cancel()
        shutdown(fd, Int32(SHUT_RDWR))
        state.lock()
        closed = true
        state.broadcast()
        // A reader sees the shutdown at once; the descriptor must outlive its last call.
        while readerActive { state.wait() }
        let orphans = Array(pending.values)
        pending.removeAll()
        state.unlock()
        // So must a sender's: the shutdown ends a send at once, and it stops at the next round.
        outboxLock.withLock {
            while sending { outboxLock.wait() }
        }
        done.wait()
        for ticket in orphans { ticket.complete(.failure(.connectionClosed)) }
        Glibc.close(fd)
    }

    // MARK: - The reader role

    /// How long a holder of the reader role reads.
    private enum Reading {
        /// Until this ticket is complete, or (false then) the deadline passes.
        case until(StorageTicket, Date)
        /// Until the socket holds nothing more.
        case available
        /// While requests are outstanding.
        case whilePending
    }

    /// Takes the reader role if nobody holds it.
    private func claimReader() -> Bool {
        state.withLock {
            guard !closed && !readerActive else { return false }
            readerActive = true
            return true
        }
    }

    /// Gives the reader role up; the reader thread takes it over when requests are outstanding.
    private func releaseReader() {
        state.withLock {
            readerActive = false
            if closed || !pending.isEmpty {
                readerThreadWanted = true
                state.broadcast()
            }
        }
    }

    /// Waits for `ticket`'s outcome until `deadline`, reading the socket whenever nobody else does;
    /// nil on timeout.
    func await(_ ticket: StorageTicket, deadline: Date) -> Result<StorageReply, StorageClientError>? {
        while true {
            if let result = ticket.result { return result }
            if claimReader() {
                let inTime = read(.until(ticket, deadline))
                releaseReader()
                if !inTime { return ticket.result }
                continue
            }
            // Whoever holds the role reads this reply too, or hands the role to the reader thread.
            if !ticket.sleep(until: deadline) { return nil }
        }
    }

    /// Makes sure somebody reads the socket for a task waiting on a ticket: when nobody holds the
    /// reader role, the reader thread takes it (and keeps it while requests are outstanding).
    func wantReaderThread() {
        state.withLock {
            guard !closed && !readerActive else { return }
            readerThreadWanted = true
            state.broadcast()
        }
    }

    /// Reads what the socket already holds, unless someone else holds the reader role; false then.
    @discardableResult
    func pump() -> Bool {
        guard claimReader() else { return false }
        _ = read(.available)
        releaseReader()
        return true
    }

    private func readerThread() {
        while true {
            state.lock()
            while !closed && !(readerThreadWanted && !readerActive) { state.wait() }
            readerThreadWanted = false
            let stop = closed
            if !stop { readerActive = true }
            state.unlock()
            if stop { break }
            _ = read(.whilePending)
            releaseReader()
        }
        done.signal()
    }

    /// As the holder of the reader role: reads replies and completes their tickets as `reading`
    /// says, or until the connection ends. False when a deadline passed first.
    private func read(_ reading: Reading) -> Bool {
        while true {
            switch reading {
            case .until(let ticket, _): if ticket.result != nil { return true }
            case .whilePending: if state.withLock({ pending.isEmpty }) { return true }
            case .available: break
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                guard deliver(count: n) else { break }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            guard n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) else { break }
            var timeout: Int32 = -1
            switch reading {
            case .until(_, let deadline):
                let left = deadline.timeIntervalSinceNow
                guard left > 0 else { return false }
                timeout = Int32(min(left, 1) * 1000) + 1
            case .available: return true
            case .whilePending: break
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, timeout)
        }
        // The connection ended or sent garbage: every pending request fails.
        let orphans: [StorageTicket] = state.withLock {
            closed = true
            defer { pending.removeAll() }
            return Array(pending.values)
        }
        for orphan in orphans { orphan.complete(.failure(.connectionClosed)) }
        return true
    }

    /// Decodes the first `count` bytes of the buffer and completes the tickets of whole replies;
    /// false when the stream is not valid framing.
    private func deliver(count: Int) -> Bool {
        decoder.feed(buffer[0..<count])
        var replies: [StorageReply] = []
        do {
            while let frame = try decoder.next() {
                guard frame.type == StorageFrameType.reply, let reply = try? StorageReply.decode(frame.payload) else { continue }
                replies.append(reply)
            }
        } catch {
            return false
        }
        let tickets = state.withLock { replies.map { pending.removeValue(forKey: $0.id) } }
        for (ticket, reply) in zip(tickets, replies) { ticket?.complete(.success(reply)) }
        return true
    }

    /// Writes all of `bytes` without raising SIGPIPE, reading replies meanwhile whenever the socket
    /// is full and nobody reads (so that neither side waits on the other); false when the peer is gone.
    private func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if n >= 0 {
                offset += n
                continue
            }
            if errno == EINTR { continue }
            guard errno == EAGAIN || errno == EWOULDBLOCK else { return false }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT | POLLIN), revents: 0)
            _ = poll(&poller, 1, 100)
            // When someone else holds the reader role, only wait to be able to write.
            if poller.revents & Int16(POLLIN) != 0 && !pump() {
                poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&poller, 1, 100)
            }
        }
        return true
    }
}

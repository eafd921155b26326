import CShims
import Foundation
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
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

/// One pending request: wait on it for its reply.
public final class StorageTicket: @unchecked Sendable {
    /// The request's id.
    public let id: UInt64
    private let condition = NSCondition()
    private var outcome: Result<StorageReply, StorageClientError>?

    init(id: UInt64) { self.id = id }

    func complete(_ result: Result<StorageReply, StorageClientError>) {
        condition.lock()
        if outcome == nil { outcome = result }
        condition.broadcast()
        condition.unlock()
    }

    /// Whether the reply (or a failure) has arrived.
    public var isComplete: Bool {
        condition.lock()
        defer { condition.unlock() }
        return outcome != nil
    }

    /// The reply (whatever its status), waiting up to `timeout` seconds.
    public func wait(timeout: Double = 30) throws(StorageClientError) -> StorageReply {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        while outcome == nil {
            if !condition.wait(until: deadline) { break }
        }
        let result = outcome
        condition.unlock()
        guard let result else { throw .timedOut("no reply to request \(id) within \(timeout) s") }
        return try result.get()
    }
}

/// Consensus's side of one storage connection, for tests and benchmarks: requests are pipelined
/// (many in flight from many threads), replies matched by id on a reader thread.
public final class StorageClient: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private let sendLock = NSLock()
    private var nextID: UInt64 = 1
    private var pending: [UInt64: StorageTicket] = [:]
    private var closed = false
    private let done = DispatchSemaphore(value: 0)

    init(fd: Int32) {
        self.fd = fd
        Thread.detachNewThread { [self] in readLoop() }
    }

    /// Whether the connection is still open.
    public var isOpen: Bool { lock.withLock { !closed } }

    /// Sends a request built by `make` under the send lock (so operations built from shared state,
    /// such as the next index, reach storage in the order they were built).
    public func submit(_ make: () throws -> StorageOperation) throws -> StorageTicket {
        try submitAll(count: 1, make)[0]
    }

    /// Sends the operations `make` builds (called `count` times, in order, under the send lock) in
    /// one write, as consensus sends what it has gathered; returns their tickets in order.
    public func submitAll(count: Int, _ make: () throws -> StorageOperation) throws -> [StorageTicket] {
        try sendLock.withLock {
            var bytes: [UInt8] = []
            var tickets: [StorageTicket] = []
            for _ in 0..<count {
                let operation = try make()
                let ticket: StorageTicket? = lock.withLock {
                    guard !closed else { return nil }
                    let ticket = StorageTicket(id: nextID)
                    nextID += 1
                    pending[ticket.id] = ticket
                    return ticket
                }
                guard let ticket else { throw StorageClientError.connectionClosed }
                bytes += Frame(type: StorageFrameType.request, payload: StorageRequest(id: ticket.id, operation: operation).encoded()).encoded()
                tickets.append(ticket)
            }
            if !StorageEndpoint.sendAll(fd, bytes) {
                shutdown(fd, Int32(SHUT_RDWR))
            }
            return tickets
        }
    }

    /// Sends `operation` without waiting.
    public func submit(_ operation: StorageOperation) throws -> StorageTicket {
        try submit { operation }
    }

    /// Sends raw bytes (for tests of malformed input).
    public func sendRaw(_ bytes: [UInt8]) {
        sendLock.withLock { _ = StorageEndpoint.sendAll(fd, bytes) }
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
        shutdown(fd, Int32(SHUT_RDWR))
        done.wait()
        Glibc.close(fd)
    }

    private func readLoop() {
        var decoder = FrameDecoder(maxPayload: Frame.localMaxPayload)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        reading: while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            decoder.feed(buffer[0..<n])
            do {
                while let frame = try decoder.next() {
                    guard frame.type == StorageFrameType.reply, let reply = try? StorageReply.decode(frame.payload) else { continue }
                    let ticket = lock.withLock { pending.removeValue(forKey: reply.id) }
                    ticket?.complete(.success(reply))
                }
            } catch {
                break reading
            }
        }
        let orphans: [StorageTicket] = lock.withLock {
            closed = true
            defer { pending.removeAll() }
            return Array(pending.values)
        }
        for ticket in orphans { ticket.complete(.failure(.connectionClosed)) }
        done.signal()
    }
}

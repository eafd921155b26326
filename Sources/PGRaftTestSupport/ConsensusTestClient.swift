import Foundation
import PGRaftKit
import PGRaftNode

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A client of one node's consensus, as the api is: connects to `<run_dir>/consensus.sock`, greets,
/// and sends requests one at a time, waiting for each reply with a deadline. For end-to-end tests.
public final class ConsensusTestClient {
    private let fd: Int32
    private var decoder = FrameDecoder()
    private var nextID: UInt64 = 1

    /// Why a call produced no reply.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public let description: String
    }

    /// Connects to `socketPath`.
    public init(socketPath: String) throws {
        fd = try UnixSocket.connect(path: socketPath)
        guard UnixSocket.sendAll(fd, Frame(type: ClientFrameType.hello, payload: []).encoded()) else {
            close(fd)
            throw Failure(description: "cannot greet consensus at \(socketPath)")
        }
    }

    deinit { close(fd) }

    /// Sends `operation` and waits up to `timeout` seconds for its reply.
    public func call(_ operation: ClientOperation, timeout: Double = 15) throws -> ClientReply {
        let id = nextID
        nextID += 1
        let frame = Frame(type: ClientFrameType.request, payload: ClientRequest(id: id, operation: operation).encoded())
        guard UnixSocket.sendAll(fd, frame.encoded()) else { throw Failure(description: "the connection to consensus closed") }
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            while let frame = try decoder.next() {
                guard frame.type == ClientFrameType.reply else { continue }
                let reply = try ClientReply.decode(frame.payload)
                if reply.id == id { return reply }
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw Failure(description: "no reply to \(operation) within \(timeout) s") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(left * 1000) + 1) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "the connection to consensus closed") }
            decoder.feed(buffer[0..<n])
        }
    }

    /// Puts `value` at `key`; the reply (its revision on success).
    public func put(_ key: String, _ value: String, timeout: Double = 15) throws -> ClientReply {
        try call(.put(key: key, value: Array(value.utf8)), timeout: timeout)
    }

    /// Reads `key` (linearizable unless `stale`); its value, or nil when absent.
    public func get(_ key: String, stale: Bool = false, timeout: Double = 15) throws -> (reply: ClientReply, value: String?) {
        let reply = try call(.get(key: key, linearizable: !stale), timeout: timeout)
        if case .record(let record, _) = reply.result { return (reply, String(decoding: record.value, as: UTF8.self)) }
        return (reply, nil)
    }
}

import Foundation
import PGRaftKit
import PGRaftClient

/// A client of one node's consensus, as the api is: connects to `<run_dir>/consensus.sock`, greets,
/// and sends requests one at a time, waiting for each reply with a deadline. For end-to-end tests.
public final class ConsensusTestClient {
    private let socket: BlockingSocket
    private var nextID: UInt64 = 1

    /// Why a call produced no reply.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public let description: String
    }

    /// Connects to `socketPath`.
    public init(socketPath: String) throws {
        socket = try BlockingSocket.connect(path: socketPath, timeoutSeconds: 60)
        do {
            try socket.send(Frame(type: ClientFrameType.hello, payload: []).encoded())
        } catch {
            throw Failure(description: "cannot greet consensus at \(socketPath): \(error)")
        }
    }

    /// Sends `operation` and waits up to `timeout` seconds for its reply.
    public func call(_ operation: ClientOperation, timeout: Double = 15) throws -> ClientReply {
        let id = nextID
        nextID += 1
        try socket.send(Frame(type: ClientFrameType.request, payload: ClientRequest(id: id, operation: operation).encoded()).encoded())
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = Int(deadline.timeIntervalSinceNow * 1000)
            guard left > 0 else { throw Failure(description: "no reply to \(operation) within \(timeout) s") }
            let frame = try nextFrame(within: left, for: operation, timeout: timeout)
            guard frame.type == ClientFrameType.reply else { continue }
            let reply = try ClientReply.decode(frame.payload)
            if reply.id == id { return reply }
        }
    }

    private func nextFrame(within milliseconds: Int, for operation: ClientOperation, timeout: Double) throws -> Frame {
        do {
            return try socket.receiveFrame(within: milliseconds)
        } catch {
            throw error.kind == .timedOut ? Failure(description: "no reply to \(operation) within \(timeout) s") : error
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

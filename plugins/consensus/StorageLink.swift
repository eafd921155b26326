import NIOCore
import PGRaftKit
import PGRaftStorageProtocol
import PGRaftBytes

/// Consensus's side of the storage connection: sends batches of requests (storage makes each
/// batch durable with one fsync when it arrives whole) and calls back once every reply of a batch
/// is in. A lost connection drops the batches in flight without calling back: the node resends what
/// must still be persisted when storage is back. Confined to the node's event loop.
final class StorageLink {
    private struct Batch {
        let first: UInt64
        var replies: [StorageReply?]
        var remaining: Int
        let completion: ([StorageReply]) -> Void
    }

    /// The connection, while storage is there.
    private(set) var channel: Channel?
    private var nextID: UInt64 = 1
    private var batches: [Batch] = []

    /// Whether storage is connected.
    var isConnected: Bool { channel != nil }

    /// Storage greeted on `channel`.
    func attach(_ channel: Channel) {
        self.channel?.close(promise: nil)
        self.channel = channel
        batches.removeAll()
    }

    /// `channel` closed; true when it was storage's (the batches in flight are dropped).
    func detach(_ channel: Channel) -> Bool {
        guard self.channel === channel else { return false }
        self.channel = nil
        batches.removeAll()
        return true
    }

    /// Sends `operations` as one batch; `completion` gets their replies in order.
    /// - Returns: false when storage is not connected (nothing was sent).
    @discardableResult
    func send(_ operations: [StorageOperation], completion: @escaping ([StorageReply]) -> Void) -> Bool {
        guard let channel, !operations.isEmpty else { return false }
        let first = nextID
        nextID += UInt64(operations.count)
        var buffer = channel.allocator.buffer(capacity: 256)
        for (offset, operation) in operations.enumerated() {
            let request = StorageRequest(id: first + UInt64(offset), operation: operation)
            buffer.writeBytes(Frame(type: StorageFrameType.request, payload: request.encoded()).encoded())
        }
        batches.append(Batch(first: first, replies: Array(repeating: nil, count: operations.count), remaining: operations.count, completion: completion))
        channel.writeAndFlush(buffer, promise: nil)
        return true
    }

    /// A reply frame arrived.
    /// - Throws: when the payload is not a reply or answers no request in flight.
    func received(_ payload: [UInt8]) throws {
        let reply = try StorageReply.decode(payload)
        guard let at = batches.firstIndex(where: { reply.id >= $0.first && reply.id < $0.first + UInt64($0.replies.count) }) else {
            throw ByteDecodeError("storage answered request \(reply.id), which is not in flight")
        }
        let slot = Int(reply.id - batches[at].first)
        guard batches[at].replies[slot] == nil else { throw ByteDecodeError("storage answered request \(reply.id) twice") }
        batches[at].replies[slot] = reply
        batches[at].remaining -= 1
        if batches[at].remaining == 0 {
            let batch = batches.remove(at: at)
            batch.completion(batch.replies.map { $0! })
        }
    }
}

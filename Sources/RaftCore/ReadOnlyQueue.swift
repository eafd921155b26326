/// Read-index requests waiting for a quorum of heartbeat acknowledgements (§6.4).
///
/// Invariant: requests are in arrival order with non-decreasing `index`; a quorum
/// acknowledging a request also confirms every earlier one, because heartbeats carrying
/// later contexts were sent later.
public struct ReadOnlyQueue: Sendable {
    /// One pending read.
    public struct Request: Sendable {
        /// The commit index when the request arrived.
        public var index: UInt64
        /// The caller's context (unique per request).
        public var context: [UInt8]
        /// The node that asked (the leader itself, or a follower that forwarded it).
        public var from: NodeID
        /// The members that acknowledged a heartbeat carrying this context.
        public var acks: [NodeID]
    }

    /// The pending requests, oldest first.
    public private(set) var requests: [Request] = []

    /// Creates an empty queue.
    public init() {}

    /// The context of the newest pending request, carried by heartbeats.
    public var lastContext: [UInt8]? { requests.last?.context }

    /// Adds a request; a duplicate context is ignored.
    public mutating func add(index: UInt64, context: [UInt8], from: NodeID, selfID: NodeID) {
        if requests.contains(where: { $0.context == context }) { return }
        requests.append(Request(index: index, context: context, from: from, acks: [selfID]))
    }

    /// Records that `from` acknowledged `context`; returns the requests now confirmed by
    /// `quorum` (removed from the queue), oldest first.
    public mutating func acknowledge(context: [UInt8], from: NodeID, quorum: JointConfig) -> [Request] {
        guard let pos = requests.firstIndex(where: { $0.context == context }) else { return [] }
        if !requests[pos].acks.contains(from) { requests[pos].acks.append(from) }
        let acks = requests[pos].acks
        guard quorum.voteResult({ acks.contains($0) ? true : nil }) == .won else { return [] }
        let done = Array(requests[...pos])
        requests.removeFirst(pos + 1)
        return done
    }
}

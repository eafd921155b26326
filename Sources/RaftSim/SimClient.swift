import RaftCore

/// A client issuing one operation at a time against whichever node it believes leads.
struct SimClient {
    let id: Int
    var leaderHint: NodeID?
    var nextAt: Int = 0
    var seq: UInt64 = 0
    /// Index into the history of the operation in flight.
    var op: Int?
    var deadline = 0
    /// When to give up on the node asked and try another.
    var attemptDeadline = 0
    /// The request in flight and the node asked; only its reply counts.
    var attempt: (request: UInt64, node: NodeID)?
    /// The node that last failed to answer in time; the next attempt goes elsewhere if it can.
    var avoid: NodeID?
    /// The last modification revision seen per key (for compare-and-set).
    var seenRevision: [String: UInt64] = [:]
}

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
    /// Where a write was appended (node, index, term) and the tag it carries: the node's id and
    /// a sequence no other proposal has. Only the entry with that tag answers the client.
    var proposal: (node: NodeID, index: UInt64, term: UInt64, sequence: UInt64)?
    /// The node that last failed to answer in time; the next attempt goes elsewhere if it can.
    var avoid: NodeID?
    /// For a read: the node asked and the context.
    var readAt: (node: NodeID, context: [UInt8])?
    /// For a read: the read index once confirmed.
    var readIndex: UInt64?
    /// The last modification revision seen per key (for compare-and-set).
    var seenRevision: [String: UInt64] = [:]
}

/// Why ``RawNode/compact(upTo:confState:data:)`` refused to compact.
public enum CompactionError: Error, Sendable, Equatable {
    /// The index is not both applied and durable yet.
    case notApplied
    /// The index is already covered by the current snapshot.
    case alreadyCompacted
}

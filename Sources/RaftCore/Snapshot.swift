/// A compacted prefix of the log: the state machine's image as of `metadata.index`.
///
/// - Important: A snapshot returned in ``Ready/snapshot`` must be saved durably and
///   installed into the state machine before the caller acknowledges the ready batch.
public struct Snapshot: Sendable, Equatable {
    /// Where the snapshot sits in the log and which membership held at that point.
    public struct Metadata: Sendable, Equatable {
        /// The index of the last entry the snapshot covers.
        public var index: UInt64
        /// The term of that entry.
        public var term: UInt64
        /// The membership as of `index`.
        public var confState: ConfState

        /// Creates snapshot metadata.
        public init(index: UInt64, term: UInt64, confState: ConfState) {
            self.index = index
            self.term = term
            self.confState = confState
        }
    }

    /// Position and membership.
    public var metadata: Metadata
    /// The application's encoded state machine; empty means "the empty state".
    public var data: [UInt8]

    /// Creates a snapshot.
    public init(metadata: Metadata, data: [UInt8]) {
        self.metadata = metadata
        self.data = data
    }
}

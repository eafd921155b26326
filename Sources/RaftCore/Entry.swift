/// One record of the replicated log.
///
/// An entry is identified by its `index`; `term` is the leader term in which it was
/// created. Two logs that hold an entry with the same index and term are identical up to
/// that index (the Log Matching property, dissertation §3.5).
public struct Entry: Sendable, Equatable {
    /// What an entry carries.
    public enum Kind: UInt8, Sendable, Equatable {
        /// Opaque application data (an empty payload is the no-op a new leader appends).
        case normal = 0
        /// An encoded ``ConfChange``; the core applies it when the caller acknowledges it as applied.
        case confChange = 1
    }

    /// The term of the leader that created the entry.
    public var term: UInt64
    /// The position in the log, starting at 1.
    public var index: UInt64
    /// Whether `data` is application data or a membership change.
    public var kind: Kind
    /// The payload; for `.confChange` the output of ``ConfChange/encode()``.
    public var data: [UInt8]

    /// Creates an entry.
    public init(term: UInt64, index: UInt64, kind: Kind = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data
    }

    /// The size used for batching limits: the payload plus a fixed header estimate.
    @inlinable public var byteSize: Int { data.count + 24 }
}

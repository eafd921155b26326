/// One Raft log entry as storage keeps it: the term and index that place it, a type byte that is
/// consensus's business (normal entry, configuration change), and opaque data.
public struct LogEntry: Sendable, Equatable {
    /// The most data one entry may carry (64 MiB): storage refuses more, and a decoder refuses a
    /// length over it before allocating.
    public static let maxDataBytes = 64 * 1024 * 1024

    /// The leader's term when the entry was created.
    public var term: UInt64
    /// The entry's position in the log, from 1.
    public var index: UInt64
    /// The entry's kind, opaque to storage.
    public var type: UInt8
    /// The entry's data, opaque to storage.
    public var data: [UInt8]

    /// An entry.
    public init(term: UInt64, index: UInt64, type: UInt8 = 0, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.type = type
        self.data = data
    }
}

/// A state-machine image with the position of the last entry it includes.
public struct StoredSnapshot: Sendable, Equatable {
    /// The index of the last entry the image includes.
    public var index: UInt64
    /// The term of that entry.
    public var term: UInt64
    /// The membership at `index`, encoded by consensus; opaque to storage.
    public var membership: [UInt8]
    /// The state-machine image, opaque to storage.
    public var data: [UInt8]

    /// A snapshot.
    public init(index: UInt64, term: UInt64, membership: [UInt8] = [], data: [UInt8] = []) {
        self.index = index
        self.term = term
        self.membership = membership
        self.data = data
    }
}

import RaftCore

/// One key of the replicated key-value map, with etcd-style revisions.
public struct KeyValueRecord: Sendable, Equatable {
    /// The value.
    public var value: [UInt8]
    /// The store revision at which the key was created.
    public var createRevision: UInt64
    /// The store revision of the last change to the key.
    public var modRevision: UInt64
    /// How many times the key was written since creation.
    public var version: UInt64

    /// Creates a record.
    public init(value: [UInt8], createRevision: UInt64, modRevision: UInt64, version: UInt64) {
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
    }
}

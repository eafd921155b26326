/// A command taken from the queue by its consumer.
public struct QueuedCommand: Sendable, Equatable {
    /// The id assigned at enqueue: unique for the segment's life, increasing in queue order.
    public var id: UInt64
    /// The command's type as stored (see `type`).
    public var rawType: UInt32
    /// The payload bytes.
    public var payload: [UInt8]
    /// Wall-clock milliseconds since the epoch at enqueue.
    public var timestampMs: UInt64
    /// The pid of the process that enqueued it.
    public var producerPid: Int32

    /// The command's type; nil for a type this build does not know.
    public var type: CommandType? { CommandType(rawValue: rawType) }

    /// A command as dequeued.
    public init(id: UInt64, rawType: UInt32, payload: [UInt8], timestampMs: UInt64, producerPid: Int32) {
        self.id = id
        self.rawType = rawType
        self.payload = payload
        self.timestampMs = timestampMs
        self.producerPid = producerPid
    }
}

/// The bounded window of append messages sent to one follower and not yet acknowledged.
///
/// Invariants: indexes are strictly increasing in send order; `count <= capacity`;
/// `bytes` is the sum of the sizes held. The window is full when either bound is reached.
public struct Inflights: Sendable, Equatable {
    /// Maximum number of messages in flight.
    public let capacity: Int
    /// Maximum number of payload bytes in flight (0: unlimited).
    public let maxBytes: Int
    private var ring: [(index: UInt64, bytes: Int)]
    private var start = 0
    /// The number of messages in flight.
    public private(set) var count = 0
    /// The payload bytes in flight.
    public private(set) var bytes = 0

    /// Creates an empty window.
    public init(capacity: Int, maxBytes: Int = 0) {
        precondition(capacity > 0, "inflight capacity must be positive")
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.ring = Array(repeating: (0, 0), count: capacity)
    }

    /// Two windows are equal when their bounds and the messages they hold, in order, are
    /// (where the ring happens to start is not compared).
    public static func == (a: Inflights, b: Inflights) -> Bool {
        guard a.capacity == b.capacity, a.maxBytes == b.maxBytes, a.count == b.count, a.bytes == b.bytes else {
            return false
        }
        for k in 0..<a.count {
            let x = a.ring[(a.start + k) % a.capacity]
            let y = b.ring[(b.start + k) % b.capacity]
            if x.index != y.index || x.bytes != y.bytes { return false }
        }
        return true
    }

    /// Whether no further message may be sent.
    public var isFull: Bool { count == capacity || (maxBytes > 0 && bytes >= maxBytes) }

    /// Records a message whose last entry is `index`.
    public mutating func add(index: UInt64, bytes size: Int) {
        precondition(count < capacity, "inflights overflow")
        ring[(start + count) % capacity] = (index, size)
        count += 1
        bytes += size
    }

    /// Forgets every message whose last index is `<= index` (acknowledged).
    public mutating func freeLE(_ index: UInt64) {
        while count > 0 && ring[start].index <= index {
            bytes -= ring[start].bytes
            start = (start + 1) % capacity
            count -= 1
        }
        if count == 0 { start = 0 }
    }

    /// Forgets the oldest message, to let one probe through a window clogged by loss.
    public mutating func freeFirstOne() {
        guard count > 0 else { return }
        bytes -= ring[start].bytes
        start = (start + 1) % capacity
        count -= 1
    }

    /// Empties the window.
    public mutating func reset() {
        start = 0
        count = 0
        bytes = 0
    }
}

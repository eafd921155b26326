/// The capacities a segment is created with. They are recorded in the segment's header, so processes
/// that attach read them from there and need not know them.
public struct SegmentLayout: Sendable, Equatable {
    /// Component slots (each with its counters).
    public var componentCapacity: Int
    /// Entries in the command queue.
    public var queueCapacity: Int
    /// Largest command payload, in bytes.
    public var payloadCapacity: Int
    /// Command status slots (a status is kept until `statusCapacity` newer commands have one).
    public var statusCapacity: Int
    /// Largest membership the cluster state can publish.
    public var maxMembers: Int

    /// Upper bounds that keep a segment sane (a few MiB with the defaults).
    static let limits = (components: 4_096, queue: 1 << 20, payload: 1 << 24, status: 1 << 20, members: 1_024)

    /// A layout with the given capacities (the defaults are those of `standard`).
    public init(
        componentCapacity: Int = 16, queueCapacity: Int = 256, payloadCapacity: Int = 1_024,
        statusCapacity: Int = 256, maxMembers: Int = 16
    ) {
        self.componentCapacity = componentCapacity
        self.queueCapacity = queueCapacity
        self.payloadCapacity = payloadCapacity
        self.statusCapacity = statusCapacity
        self.maxMembers = maxMembers
    }

    /// 16 components, 256 queued commands of up to 1 KiB, 256 statuses, 16 members.
    public static let standard = SegmentLayout()

    /// Throws `SegmentError.invalidLayout` naming the first parameter out of range.
    func validate() throws(SegmentError) {
        let checks: [(String, Int, Int)] = [
            ("componentCapacity", componentCapacity, SegmentLayout.limits.components),
            ("queueCapacity", queueCapacity, SegmentLayout.limits.queue),
            ("payloadCapacity", payloadCapacity, SegmentLayout.limits.payload),
            ("statusCapacity", statusCapacity, SegmentLayout.limits.status),
            ("maxMembers", maxMembers, SegmentLayout.limits.members),
        ]
        for (name, value, limit) in checks where value < 1 || value > limit {
            throw .invalidLayout(reason: "\(name) is \(value); it must be between 1 and \(limit)")
        }
    }
}

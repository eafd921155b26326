/// A time wheel of events keyed by virtual millisecond; events of one millisecond run in
/// insertion order, so runs are deterministic.
struct EventQueue<Event> {
    private var buckets: [[Event]]
    private let mask: Int

    init(horizon: Int = 4096) {
        var size = 1
        while size < horizon { size <<= 1 }
        buckets = Array(repeating: [], count: size)
        mask = size - 1
    }

    /// The longest delay that can be scheduled.
    var horizon: Int { mask }

    mutating func schedule(_ e: Event, at time: Int, now: Int) {
        precondition(time > now && time - now < mask, "event outside the wheel's horizon")
        buckets[time & mask].append(e)
    }

    mutating func take(at time: Int) -> [Event] {
        let b = buckets[time & mask]
        if !b.isEmpty { buckets[time & mask] = [] }
        return b
    }
}

import CShims

/// One component's slot in the segment: a view over shared memory, cheap to create and to copy.
///
/// Every field has one writer, stated on it. Each field is a single atomic word (the name is a
/// `SeqLatch` record), so a reader never sees a torn value; the fields are independent facts, not one
/// snapshot. Setters are `nonmutating`: the slot is a view, the memory is shared.
///
/// The slot keeps its segment (and so the mapping) alive.
public struct ComponentSlot: @unchecked Sendable {
    /// The segment this slot belongs to.
    public let segment: SharedSegment
    /// The slot's index, `0..<segment.componentCapacity`.
    public let index: Int
    private let base: UnsafeMutableRawPointer

    // Field offsets. Supervisor-written words share the first cache line; the component's words have
    // their own, so heartbeats do not contend with the supervisor's writes.
    static let stride = 256
    static let stateOffset = 0  // UInt32
    static let pidOffset = 4  // Int32
    static let restartsOffset = 8  // UInt32
    static let startedAtOffset = 16  // UInt64
    static let lastExitOffset = 24  // Int64
    static let readyPidOffset = 64  // Int32
    static let heartbeatOffset = 72  // UInt64
    static let nameOffset = 128  // SeqLatch of `nameCapacity` bytes (96 bytes)
    /// Longest name, in UTF-8 bytes.
    public static let nameCapacity = 32

    init(segment: SharedSegment, index: Int, base: UnsafeMutableRawPointer) {
        self.segment = segment
        self.index = index
        self.base = base
    }

    private var nameLatch: SeqLatch { SeqLatch(base: base + ComponentSlot.nameOffset, recordSize: ComponentSlot.nameCapacity) }

    /// The component's name; empty for an unused slot. Writer: supervisor. A longer name is truncated
    /// to `nameCapacity` bytes (at a character boundary).
    public var name: String {
        get {
            // The supervisor writes a name once per component: a reader cannot be starved.
            while true {
                if let name = nameLatch.read({ SegmentMemory.readFixed($0, capacity: ComponentSlot.nameCapacity) }) {
                    return name
                }
            }
        }
        nonmutating set {
            let bytes = SegmentMemory.truncatedBytes(newValue, capacity: ComponentSlot.nameCapacity)
            nameLatch.write { SegmentMemory.writeFixed(bytes, to: $0, capacity: ComponentSlot.nameCapacity) }
        }
    }

    /// The life-cycle state. Writer: supervisor.
    public var state: ComponentState {
        get { ComponentState(rawValue: pgr_atomic_load_u32(SegmentMemory.u32(base, ComponentSlot.stateOffset))) ?? .idle }
        nonmutating set { pgr_atomic_store_u32(SegmentMemory.u32(base, ComponentSlot.stateOffset), newValue.rawValue) }
    }

    /// The pid the supervisor spawned (0 when none). Writer: supervisor.
    public var pid: Int32 {
        get { pgr_atomic_load_i32(SegmentMemory.i32(base, ComponentSlot.pidOffset)) }
        nonmutating set { pgr_atomic_store_i32(SegmentMemory.i32(base, ComponentSlot.pidOffset), newValue) }
    }

    /// Restarts since the supervisor started. Writer: supervisor.
    public var restarts: UInt32 {
        get { pgr_atomic_load_u32(SegmentMemory.u32(base, ComponentSlot.restartsOffset)) }
        nonmutating set { pgr_atomic_store_u32(SegmentMemory.u32(base, ComponentSlot.restartsOffset), newValue) }
    }

    /// Wall-clock milliseconds since the epoch when the current process was spawned. Writer: supervisor.
    public var startedAtMs: UInt64 {
        get { pgr_atomic_load_u64(SegmentMemory.u64(base, ComponentSlot.startedAtOffset)) }
        nonmutating set { pgr_atomic_store_u64(SegmentMemory.u64(base, ComponentSlot.startedAtOffset), newValue) }
    }

    /// How the previous process ended. Writer: supervisor.
    public var lastExit: ExitStatus {
        get { ExitStatus(encoded: pgr_atomic_load_i64(SegmentMemory.i64(base, ComponentSlot.lastExitOffset))) }
        nonmutating set { pgr_atomic_store_i64(SegmentMemory.i64(base, ComponentSlot.lastExitOffset), newValue.encoded) }
    }

    /// The pid of the process that declared itself ready. Writer: the component.
    ///
    /// - Important: the supervisor treats the slot as ready only when this equals the pid it spawned,
    ///   so a value left by a previous process never counts.
    public var readyPid: Int32 {
        get { pgr_atomic_load_i32(SegmentMemory.i32(base, ComponentSlot.readyPidOffset)) }
        nonmutating set { pgr_atomic_store_i32(SegmentMemory.i32(base, ComponentSlot.readyPidOffset), newValue) }
    }

    /// Whether the spawned process has declared itself ready (`readyPid == pid`, both non-zero).
    public var isReady: Bool {
        let pid = self.pid
        return pid != 0 && readyPid == pid
    }

    /// Heartbeats so far; it only ever grows. Writer: the component, through `beat()`.
    public var heartbeat: UInt64 {
        pgr_atomic_load_u64(SegmentMemory.u64(base, ComponentSlot.heartbeatOffset))
    }

    /// Increments the heartbeat. Writer: the component, every health period.
    public func beat() {
        _ = pgr_atomic_add_u64(SegmentMemory.u64(base, ComponentSlot.heartbeatOffset), 1)
    }

    /// This slot's counters.
    public var counters: ComponentCounters { segment.counters(at: index) }
}

import CShims

#if canImport(Glibc)
import Glibc
#endif

/// The command queue: a bounded ring, many producers (bridge, api, pgraftctl, tests), one consumer
/// (consensus).
///
/// Producers serialize on a robust process-shared mutex. Under it a producer writes the entry at
/// `tail % capacity` (outside the published range `head..<tail`), then advances `nextId`, then the
/// tail, last. A producer killed at any instant therefore leaves either nothing published (its half
/// written entry is outside the range and is overwritten by the next producer; at most its id is
/// skipped) or a complete entry; the next locker is told the owner died (`EOWNERDEAD`), marks the
/// mutex consistent and carries on, since the state is. (The wait is bounded: a holder that is stopped
/// rather than killed makes producers fail with `SegmentError.lockTimeout` instead of hanging.)
///
/// The consumer takes no lock: it copies the entry at `head`, then advances the head. So a producer
/// killed while holding the mutex never stops consensus, and the ring never waits on a consumer.
extension SharedSegment {
    private var queueBase: UnsafeMutableRawPointer { pointer(.commandQueue) }
    private var queueMutex: UnsafeMutablePointer<pthread_mutex_t> { queueBase.assumingMemoryBound(to: pthread_mutex_t.self) }
    private func queueWord(_ offset: Int) -> UnsafeMutablePointer<UInt64> { SegmentMemory.u64(queueBase, offset) }
    private var entryStride: Int { try! SegmentSection.Queue.entryStride(payloadCapacity: layout.payloadCapacity) }

    private func queueEntry(_ position: UInt64) -> UnsafeMutableRawPointer {
        queueBase + SegmentSection.Queue.entriesOffset + Int(position % UInt64(layout.queueCapacity)) * entryStride
    }

    /// Appends a command and returns its id (unique for the segment's life, increasing in queue order).
    ///
    /// - Throws: `SegmentError.payloadTooLarge` (nothing is queued), `SegmentError.queueFull` when
    ///   `queueCapacity` commands are waiting (retry later), `SegmentError.lockTimeout` when another
    ///   producer holds the mutex for `queueLockTimeoutMs` (it is stopped), `SegmentError.lockFailed` on
    ///   a mutex error.
    /// - Important: callers: any client-side process. Safe from many threads and processes at once.
    @discardableResult
    public func enqueue(type: CommandType, payload: some Collection<UInt8>) throws(SegmentError) -> UInt64 {
        let bytes = Array(payload)
        guard bytes.count <= layout.payloadCapacity else {
            throw .payloadTooLarge(size: bytes.count, limit: layout.payloadCapacity)
        }
        typealias Q = SegmentSection.Queue
        try lockQueue()
        defer { unlockQueue() }
        let head = pgr_atomic_load_u64(queueWord(Q.head))
        let tail = pgr_atomic_load_u64(queueWord(Q.tail))
        if tail &- head >= UInt64(layout.queueCapacity) { throw .queueFull(capacity: layout.queueCapacity) }
        let id = pgr_atomic_load_u64(queueWord(Q.nextId))
        let entry = queueEntry(tail)
        entry.storeBytes(of: id, toByteOffset: Q.entryId, as: UInt64.self)
        entry.storeBytes(of: type.rawValue, toByteOffset: Q.entryType, as: UInt32.self)
        entry.storeBytes(of: UInt32(bytes.count), toByteOffset: Q.entryLength, as: UInt32.self)
        entry.storeBytes(of: UInt64(max(0, pgr_wall_ms())), toByteOffset: Q.entryTimestampMs, as: UInt64.self)
        entry.storeBytes(of: getpid(), toByteOffset: Q.entryProducerPid, as: Int32.self)
        bytes.withUnsafeBytes { source in
            if !source.isEmpty { (entry + Q.entryPayload).copyMemory(from: source.baseAddress!, byteCount: source.count) }
        }
        pgr_atomic_fence()
        // Order matters for a producer killed here: the id is consumed before the entry is published,
        // so a dead producer can skip an id but never make the next one reuse it.
        pgr_atomic_store_u64(queueWord(Q.nextId), id &+ 1)
        pgr_atomic_store_u64(queueWord(Q.tail), tail &+ 1)
        return id
    }

    /// Appends a command with an empty payload; see `enqueue(type:payload:)`.
    @discardableResult
    public func enqueue(type: CommandType) throws(SegmentError) -> UInt64 {
        try enqueue(type: type, payload: [UInt8]())
    }

    /// Takes the oldest command, or nil when the queue is empty. Never blocks, takes no lock.
    ///
    /// - Important: caller: the consumer, consensus, from one thread only. A consumer killed inside this
    ///   call before it advanced the head gets the same command again when it restarts (at-least-once
    ///   across consumer crashes): consensus recognises it by its id (its status slot is already set).
    public func dequeue() -> QueuedCommand? {
        typealias Q = SegmentSection.Queue
        let head = pgr_atomic_load_u64(queueWord(Q.head))
        let tail = pgr_atomic_load_u64(queueWord(Q.tail))
        guard tail > head else { return nil }
        let entry = UnsafeRawPointer(queueEntry(head))
        let length = min(Int(entry.load(fromByteOffset: Q.entryLength, as: UInt32.self)), layout.payloadCapacity)
        let command = QueuedCommand(
            id: entry.load(fromByteOffset: Q.entryId, as: UInt64.self),
            rawType: entry.load(fromByteOffset: Q.entryType, as: UInt32.self),
            payload: Array(UnsafeRawBufferPointer(start: entry + Q.entryPayload, count: length)),
            timestampMs: entry.load(fromByteOffset: Q.entryTimestampMs, as: UInt64.self),
            producerPid: entry.load(fromByteOffset: Q.entryProducerPid, as: Int32.self))
        pgr_atomic_fence()
        pgr_atomic_store_i32(SegmentMemory.i32(queueBase, Q.consumerPid), getpid())
        pgr_atomic_store_u64(queueWord(Q.head), head &+ 1)
        return command
    }

    /// The queue's counters and lock state.
    public var commandQueueInfo: CommandQueueInfo {
        typealias Q = SegmentSection.Queue
        let head = pgr_atomic_load_u64(queueWord(Q.head))
        let tail = pgr_atomic_load_u64(queueWord(Q.tail))
        return CommandQueueInfo(
            capacity: layout.queueCapacity, depth: Int(clamping: tail > head ? tail - head : 0), enqueued: tail,
            dequeued: head, nextId: pgr_atomic_load_u64(queueWord(Q.nextId)),
            lockHolderPid: pgr_atomic_load_i32(SegmentMemory.i32(queueBase, Q.lockHolderPid)),
            lockRecoveries: pgr_atomic_load_u64(queueWord(Q.lockRecoveries)),
            consumerPid: pgr_atomic_load_i32(SegmentMemory.i32(queueBase, Q.consumerPid)))
    }

    /// How long a producer waits for the queue's mutex before `enqueue` throws `SegmentError.lockTimeout`.
    /// The critical section is a few hundred nanoseconds, so only a holder that is stopped (SIGSTOP, a
    /// debugger) can make anyone wait that long; a holder that dies releases the mutex at once.
    public static let queueLockTimeoutMs: Int64 = 5_000

    /// Takes the producers' mutex, recovering it from a dead holder; records the holder's pid. Package-wide so
    /// the segment stress helpers in PGRaftTestSupport can hold it while a test kills them.
    package func lockQueue(timeoutMs: Int64 = SharedSegment.queueLockTimeoutMs) throws(SegmentError) {
        typealias Q = SegmentSection.Queue
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let nanoseconds = Int64(deadline.tv_nsec) + (timeoutMs % 1_000) * 1_000_000
        deadline.tv_sec += time_t(timeoutMs / 1_000 + nanoseconds / 1_000_000_000)
        deadline.tv_nsec = Int(nanoseconds % 1_000_000_000)
        let rc = pthread_mutex_timedlock(queueMutex, &deadline)
        switch rc {
        case 0:
            break
        case EOWNERDEAD:
            // The holder died inside the critical section; the queue is consistent at every instant
            // (see above), so marking the mutex consistent is all the recovery there is.
            let consistent = pthread_mutex_consistent(queueMutex)
            if consistent != 0 { throw .lockFailed(name: name, code: consistent) }
            _ = pgr_atomic_add_u64(queueWord(Q.lockRecoveries), 1)
        case ETIMEDOUT:
            throw .lockTimeout(
                name: name, holderPid: pgr_atomic_load_i32(SegmentMemory.i32(queueBase, Q.lockHolderPid)), waitedMs: timeoutMs)
        default:
            throw .lockFailed(name: name, code: rc)
        }
        pgr_atomic_store_i32(SegmentMemory.i32(queueBase, Q.lockHolderPid), getpid())
    }

    /// Releases the producers' mutex.
    func unlockQueue() {
        pgr_atomic_store_i32(SegmentMemory.i32(queueBase, SegmentSection.Queue.lockHolderPid), 0)
        _ = pgr_mutex_unlock(queueMutex)
    }
}

import CShims

#if canImport(Glibc)
import Glibc
#endif

/// A single-writer, multi-reader record in shared memory that no crash can leave unreadable: a sequence
/// lock over two copies of the record (the "latch" form of a seqlock).
///
/// Region layout (all words 8-byte aligned):
///
/// | offset | field | meaning |
/// | --- | --- | --- |
/// | 0 | `current` | which copy (0 or 1) readers use |
/// | 8 | `sequence[0]` | odd while copy 0 is being written |
/// | 16 | `sequence[1]` | odd while copy 1 is being written |
/// | 32 | copy 0 | `recordSize` bytes |
/// | 32 + recordSize | copy 1 | `recordSize` bytes |
///
/// The writer only ever writes the copy readers are *not* directed to: it makes that copy's sequence
/// odd, writes the copy, makes the sequence even again and only then points `current` at it. So:
/// - the copy `current` names is always complete: a writer killed at any instant leaves at worst the
///   other copy half-written with an odd sequence, which no reader accepts and no reader is sent to;
/// - readers never block and never see a torn record: they copy `current`'s record and accept it only if
///   its sequence was even and unchanged across the copy; they can only be made to retry by a writer
///   that published twice while they copied;
/// - a restarted writer needs no recovery step: its next write goes to the non-current copy, whatever
///   state the dead writer left it in (an odd sequence just moves on to the next odd value).
///
/// - Important: one writing thread per record (the record's documented writer). Readers may be anywhere.
struct SeqLatch {
    /// Bytes before the first copy.
    static let headerSize = 32

    /// Start of the region in the mapping.
    let base: UnsafeMutableRawPointer
    /// Size of one copy, a multiple of 8.
    let recordSize: Int

    /// Bytes a region holding one record of `recordSize` bytes occupies (8-byte aligned copies).
    static func regionSize(recordSize: Int) -> Int {
        headerSize + 2 * ((recordSize + 7) & ~7)
    }

    init(base: UnsafeMutableRawPointer, recordSize: Int) {
        self.base = base
        self.recordSize = (recordSize + 7) & ~7
    }

    private var currentWord: UnsafeMutablePointer<UInt64> { SegmentMemory.u64(base, 0) }
    private func sequenceWord(_ copy: Int) -> UnsafeMutablePointer<UInt64> { SegmentMemory.u64(base, 8 + 8 * copy) }
    private func copyBase(_ copy: Int) -> UnsafeMutableRawPointer { base + SeqLatch.headerSize + copy * recordSize }

    /// Publishes a new record: `body` fills a zeroed copy, which then becomes current.
    ///
    /// - Important: writer only; `body` must not fail half-way (validate and encode before calling).
    func write(_ body: (UnsafeMutableRawPointer) -> Void) {
        let target = 1 - Int(pgr_atomic_load_u64(currentWord) & 1)
        let sequence = sequenceWord(target)
        let before = pgr_atomic_load_u64(sequence)
        let odd = before & 1 == 1 ? before &+ 2 : before &+ 1
        pgr_atomic_store_u64(sequence, odd)
        pgr_atomic_fence()
        let copy = copyBase(target)
        copy.initializeMemory(as: UInt8.self, repeating: 0, count: recordSize)
        body(copy)
        pgr_atomic_fence()
        pgr_atomic_store_u64(sequence, odd &+ 1)
        pgr_atomic_store_u64(currentWord, UInt64(target))
    }

    /// The writer's own view of the current record. No retry is needed: only the writer changes it.
    ///
    /// - Important: writer only.
    func readAsWriter<T>(_ body: (UnsafeRawPointer) -> T) -> T {
        body(UnsafeRawPointer(copyBase(Int(pgr_atomic_load_u64(currentWord) & 1))))
    }

    /// Decodes a consistent copy of the record with `body`, retrying while the writer overwrites the copy
    /// being read; nil after `maxAttempts` failed attempts (only a writer publishing continuously faster
    /// than a reader can copy can cause that; a dead writer cannot).
    ///
    /// `body` may run on a copy that is being changed (its result is then discarded), so it must not trap
    /// on any byte pattern: clamp counts, fall back on unknown enum values.
    func read<T>(maxAttempts: Int = 20_000, _ body: (UnsafeRawPointer) -> T) -> T? {
        for attempt in 0..<maxAttempts {
            let current = Int(pgr_atomic_load_u64(currentWord) & 1)
            let sequence = sequenceWord(current)
            let before = pgr_atomic_load_u64(sequence)
            if before & 1 == 0 {
                let value = body(UnsafeRawPointer(copyBase(current)))
                pgr_atomic_fence()
                if pgr_atomic_load_u64(sequence) == before { return value }
            }
            SeqLatch.backOff(attempt: attempt)
        }
        return nil
    }

    /// Whether a copy is marked as being written (a write in progress, or one abandoned by a dead writer).
    var hasWriteInProgress: Bool {
        pgr_atomic_load_u64(sequenceWord(0)) & 1 == 1 || pgr_atomic_load_u64(sequenceWord(1)) & 1 == 1
    }

    /// Test hook: starts a write and abandons it half-way, as a writer killed mid-write would.
    func abandonWrite(scribble: UInt8) {
        let target = 1 - Int(pgr_atomic_load_u64(currentWord) & 1)
        let sequence = sequenceWord(target)
        let before = pgr_atomic_load_u64(sequence)
        pgr_atomic_store_u64(sequence, before & 1 == 1 ? before &+ 2 : before &+ 1)
        pgr_atomic_fence()
        copyBase(target).initializeMemory(as: UInt8.self, repeating: scribble, count: recordSize / 2)
    }

    /// Spins briefly, then yields, then sleeps: a reader retrying must not starve the writer it waits for.
    static func backOff(attempt: Int) {
        if attempt < 32 { return }
        if attempt < 1_000 {
            sched_yield()
        } else {
            usleep(50)
        }
    }
}

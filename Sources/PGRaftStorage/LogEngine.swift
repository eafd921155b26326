import Logging

import RaftCore
import PGRaftStorageProtocol

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The durable Raft log of one node: segment files of checksummed records, the hard state, the
/// compaction point and snapshots, all under one directory (format: plugins/storage/FORMAT.md).
///
/// Mutations write at once but become durable only at `sync()`, which is how group commit works:
/// a caller applies a whole batch of requests, calls `sync()` once, and only then acknowledges them.
/// `saveSnapshot` and `compact` are durable when they return.
///
/// Memory holds positions, not entries: per segment a checkpoint offset every `indexStride`
/// records, and one (first index, term) pair per run of equal terms. Reads come from disk.
///
/// - Important: Not thread-safe; one thread owns an engine. An I/O error during a mutation or a
///   sync puts the engine in a failed state where every call throws `.failed`: the process must
///   restart and recover from disk (a failed fsync is never retried).
public final class LogEngine {
    /// Tunables.
    public struct Options: Sendable, Equatable {
        /// A segment is closed and a new one started when the next record would take it past this size.
        public var segmentBytes: Int
        /// One checkpoint offset is kept in memory per this many records.
        public var indexStride: Int
        /// Whether a new segment file is allocated at its full size at once (its unused end reads as
        /// zeros). Appends then do not change the file's size, so the fdatasync of a batch writes the
        /// data without a journal commit for the size: about a third cheaper on ext4. Recovery reads
        /// either layout.
        public var preallocate: Bool

        /// Options; 64 MiB preallocated segments and a checkpoint every 32 records by default.
        public init(segmentBytes: Int = 64 * 1024 * 1024, indexStride: Int = 32, preallocate: Bool = true) {
            self.segmentBytes = max(SegmentHeader.size + 64, min(segmentBytes, 1 << 30))
            self.indexStride = max(1, indexStride)
            self.preallocate = preallocate
        }
    }

    /// A torn tail recovery cut off: the file, the offset of the first bad byte, the bytes discarded.
    public struct TornTail: Sendable, Equatable {
        /// The segment file.
        public var file: String
        /// Where the incomplete or checksum-failing last record began.
        public var offset: UInt64
        /// Bytes discarded from there to the end of the file.
        public var bytes: UInt64
    }

    /// What recovery found and did.
    public struct RecoveryReport: Sendable, Equatable {
        /// The torn tail that was cut, if any.
        public var truncatedTail: TornTail?
        /// Files removed because an interrupted compaction or snapshot install had already
        /// superseded them, and temporary files of interrupted atomic writes.
        public var removedFiles: [String] = []
        /// Entries found in the log.
        public var entries: UInt64 = 0
    }

    /// The data directory.
    public let directory: String
    /// The tunables in force.
    public let options: Options
    let logger: Logger

    var segments: [Segment] = []
    /// Entries up to and including this index are compacted away; its term is `startTerm`.
    var startIndex: UInt64 = 0
    var startTerm: UInt64 = 0
    /// The last index in the log (`startIndex` when no entry follows it).
    public internal(set) var lastIndex: UInt64 = 0
    /// The term of `lastIndex`.
    public internal(set) var lastTerm: UInt64 = 0
    /// Runs of equal terms: `runFirsts[k]` is the first index of a run whose entries have `runTerms[k]`.
    var runFirsts: [UInt64] = []
    var runTerms: [UInt64] = []
    /// The hard state as last saved (durable after the next `sync()`).
    public internal(set) var hardState = HardState()
    var hardStateDirty = false
    /// Index and term of the newest snapshot (0, 0 for none) and its file name.
    public internal(set) var snapshotIndex: UInt64 = 0
    public internal(set) var snapshotTerm: UInt64 = 0
    var snapshotFile: String?
    /// What recovery found.
    public internal(set) var recovery = RecoveryReport()

    /// The last segment's descriptor, open for writing.
    var activeFD: Int32 = -1
    var activeDirty = false
    var activeNeedsFullSync = false
    /// Segments closed for writing in this batch, still to be synced, then closed.
    var sealed: [(fd: Int32, path: String, full: Bool)] = []
    var directoryDirty = false
    /// Records appended to the active segment but not yet written: the appends of one batch go
    /// out in one `pwrite`, at the sync or before anything reads the file.
    var pending: [UInt8] = []
    /// The active segment's free space is written with zeros up to here (0: not known), so that
    /// appends there find blocks already written (see `writeZerosAhead`).
    var zeroedEnd: UInt64 = 0
    var readCache: (sequence: UInt64, fd: Int32)?
    var failure: String?

    /// fsync and fdatasync calls made so far.
    public internal(set) var syncCount: UInt64 = 0
    /// Entries written so far (since start).
    public internal(set) var appendedCount: UInt64 = 0

    /// The first index still in the log.
    public var firstIndex: UInt64 { startIndex + 1 }
    /// Whether writes are waiting for `sync()`.
    public var hasUnsyncedChanges: Bool {
        activeDirty || !pending.isEmpty || !sealed.isEmpty || directoryDirty || hardStateDirty
    }
    /// Segment files in use.
    public var segmentCount: Int { segments.count }
    /// Bytes of checkpoint and term-run arrays held in memory.
    public var indexMemoryBytes: Int {
        segments.reduce(0) { $0 + $1.checkpoints.capacity * 4 } + runFirsts.capacity * 16
    }

    /// Opens (creating it if needed) and recovers the log in `directory`.
    ///
    /// - Throws: `.corrupt` naming file and offset when the directory holds damage recovery must
    ///   not repair; nothing is deleted then.
    public init(directory: String, options: Options = Options(), logger: Logger = Logger(label: "pgraft.storage"))
        throws(StorageError)
    {
        self.directory = directory
        self.options = options
        self.logger = logger
        try recover()
    }

    deinit {
        close()
    }

    /// Closes every descriptor without syncing; unsynced writes may or may not survive.
    public func close() {
        if failure == nil && activeFD >= 0 { try? flush() }
        if activeFD >= 0 { Glibc.close(activeFD) }
        activeFD = -1
        for item in sealed { Glibc.close(item.fd) }
        sealed.removeAll()
        if let cache = readCache { Glibc.close(cache.fd) }
        readCache = nil
    }

    // MARK: - Writing

    /// Appends `entries` (consecutive indexes, terms never decreasing). Leading entries already in
    /// the log with the same term are skipped (a resent batch is a no-op); the first entry whose
    /// index is in the log with another term truncates the log there first, as Raft requires;
    /// entries at or below the compaction point are already covered by the snapshot and skipped.
    ///
    /// - Returns: the last index after the append.
    /// - Important: Durable only after the next `sync()`.
    @discardableResult
    public func append(_ entries: [LogEntry]) throws(StorageError) -> UInt64 {
        try checkHealthy()
        guard let head = entries.first else { return lastIndex }
        for i in entries.indices.dropFirst() {
            guard entries[i].index == entries[i - 1].index &+ 1 else {
                throw .invalidRequest("entries are not consecutive: \(entries[i - 1].index) then \(entries[i].index)")
            }
            guard entries[i].term >= entries[i - 1].term else {
                throw .invalidRequest("term goes back from \(entries[i - 1].term) to \(entries[i].term) at index \(entries[i].index)")
            }
        }
        guard head.index >= 1 else { throw .invalidRequest("index 0 is not a log index") }
        for entry in entries where entry.data.count > RecordCodec.maxPayload {
            throw .invalidRequest("entry \(entry.index) has \(entry.data.count) bytes, over \(RecordCodec.maxPayload)")
        }
        var batch = entries[...]
        if head.index <= startIndex {
            batch = entries.dropFirst(Int(min(UInt64(entries.count), startIndex - head.index + 1)))
        }
        // Entries already here with the same term are the same entries (Log Matching): skipping
        // them makes a resent batch (its reply was lost when storage restarted) a no-op.
        while let head = batch.first, head.index <= lastIndex, (try? term(at: head.index)) == head.term {
            batch = batch.dropFirst()
        }
        guard let first = batch.first else { return lastIndex }
        guard first.index <= lastIndex + 1 else {
            throw .invalidRequest("entry \(first.index) would leave a gap after the last index \(lastIndex)")
        }
        let previousTerm = try term(at: first.index - 1)
        guard first.term >= previousTerm else {
            throw .invalidRequest("entry \(first.index) has term \(first.term), below the term \(previousTerm) of the entry before it")
        }
        if first.index <= lastIndex && first.index <= hardState.commit {
            throw .invalidRequest("entry \(first.index) would truncate the committed log (commit index \(hardState.commit))")
        }
        do {
            if first.index <= lastIndex {
                try flush()
                try truncate(from: first.index)
            }
            try write(batch)
        } catch {
            throw fail(error)
        }
        return lastIndex
    }

    /// Records `state` as the hard state; it is written (atomically) by the next `sync()`, after the log.
    public func saveHardState(_ state: HardState) throws(StorageError) {
        try checkHealthy()
        guard state.term >= hardState.term else {
            throw .invalidRequest("hard state term \(state.term) is below the saved term \(hardState.term)")
        }
        guard state.commit <= lastIndex else {
            throw .invalidRequest("hard state commit \(state.commit) is past the last index \(lastIndex)")
        }
        hardState = state
        hardStateDirty = true
    }

    /// Makes everything written so far durable: fdatasync of the active segment (fsync for a new or
    /// truncated one), fsync of segments closed in this batch and of the directory when names changed,
    /// then the hard state's atomic write.
    public func sync() throws(StorageError) {
        try checkHealthy()
        do {
            try flush()
            for item in sealed {
                if item.full { try FileIO.fullSync(item.fd, path: item.path) } else { try FileIO.dataSync(item.fd, path: item.path) }
                syncCount += 1
                Glibc.close(item.fd)
            }
            sealed.removeAll()
            if activeDirty {
                let path = segments[segments.count - 1].path
                if activeNeedsFullSync { try FileIO.fullSync(activeFD, path: path) } else { try FileIO.dataSync(activeFD, path: path) }
                syncCount += 1
                activeDirty = false
                activeNeedsFullSync = false
            }
            try syncDirectoryIfDirty()
            if hardStateDirty {
                let bytes = FixedFile.encode(
                    magic: FixedFile.hardStateMagic, fields: [hardState.term, hardState.vote ?? 0, hardState.commit])
                try FileIO.writeAtomically(bytes, directory: directory, name: Self.hardStateFile)
                syncCount += 2
                hardStateDirty = false
            }
        } catch {
            throw fail(error)
        }
    }

    /// Makes renames, creations and deletions in the data directory durable, if there were any.
    private func syncDirectoryIfDirty() throws(StorageError) {
        guard directoryDirty else { return }
        try FileIO.syncDirectory(directory)
        syncCount += 1
        directoryDirty = false
    }

    /// Drops entries up to and including `index`; the first index becomes `index + 1`. Segment files
    /// holding only dropped entries are deleted. Durable when it returns.
    ///
    /// - Important: A snapshot at or past `index` must be saved first; compaction past the
    ///   snapshot is refused, since those entries would exist nowhere.
    public func compact(upTo index: UInt64) throws(StorageError) {
        try checkHealthy()
        guard index > startIndex else { return }
        guard index <= lastIndex else { throw .unavailable(index: index, lastIndex: lastIndex) }
        guard index <= snapshotIndex else {
            throw .invalidRequest("cannot compact up to \(index): the newest snapshot covers only up to \(snapshotIndex)")
        }
        let term = try term(at: index)
        do {
            try flush()
            try writeLogStart(index: index, term: term)
            startIndex = index
            startTerm = term
            while segments.count > 1 && segments[0].nextIndex - 1 <= index {
                try dropSegmentFile(at: 0)
            }
            trimRuns()
            try syncDirectoryIfDirty()
        } catch {
            throw fail(error)
        }
    }

    /// Saves `snapshot` durably. When the log does not hold the snapshot's last entry with the same
    /// term (a follower installing the leader's snapshot), the log is replaced: it then starts right
    /// after the snapshot. Otherwise the log is kept as it is; `compact` drops what the snapshot covers.
    public func saveSnapshot(_ snapshot: StoredSnapshot) throws(StorageError) {
        try checkHealthy()
        guard snapshot.index >= snapshotIndex else {
            throw .invalidRequest("snapshot at \(snapshot.index) is older than the saved one at \(snapshotIndex)")
        }
        guard snapshot.index >= startIndex else {
            throw .invalidRequest("snapshot at \(snapshot.index) is older than the compaction point \(startIndex)")
        }
        do {
            try flush()
            let name = SnapshotCodec.fileName(index: snapshot.index, term: snapshot.term)
            try FileIO.writeAtomically(SnapshotCodec.encode(snapshot), directory: directory, name: name)
            syncCount += 2
            let previous = snapshotFile
            snapshotFile = name
            snapshotIndex = snapshot.index
            snapshotTerm = snapshot.term
            try reconcileWithSnapshot()
            if let previous, previous != name {
                try FileIO.remove(directory + "/" + previous)
                directoryDirty = true
            }
            try syncDirectoryIfDirty()
        } catch {
            throw fail(error)
        }
    }

    /// The newest snapshot, read from disk and verified, or nil when there is none.
    public func loadSnapshot() throws(StorageError) -> StoredSnapshot? {
        try checkHealthy()
        guard let name = snapshotFile else { return nil }
        let path = directory + "/" + name
        guard let bytes = try FileIO.readFile(path) else {
            throw .corrupt(file: path, offset: 0, reason: "the snapshot file disappeared")
        }
        do {
            return try SnapshotCodec.decode(bytes)
        } catch {
            throw .corrupt(file: path, offset: 0, reason: error.description)
        }
    }

    // MARK: - Reading

    /// The term of the entry at `index`; the compaction point's term for `firstIndex - 1`.
    public func term(at index: UInt64) throws(StorageError) -> UInt64 {
        if index == startIndex { return startTerm }
        guard index > startIndex else { throw .compacted(index: index, firstIndex: firstIndex) }
        guard index <= lastIndex else { throw .unavailable(index: index, lastIndex: lastIndex) }
        var low = 0
        var high = runFirsts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if runFirsts[mid] <= index { low = mid } else { high = mid - 1 }
        }
        return runTerms[low]
    }

    /// Entries `low..<high`, read from disk; stops early once their data would exceed `maxBytes`
    /// (but always returns at least one entry when the range is not empty).
    public func entries(from low: UInt64, to high: UInt64, maxBytes: Int = Int.max) throws(StorageError) -> [LogEntry] {
        try checkHealthy()
        guard low <= high else { throw .invalidRequest("range \(low)..<\(high) is upside down") }
        guard low > startIndex else { throw .compacted(index: low, firstIndex: firstIndex) }
        guard high <= lastIndex + 1 else { throw .unavailable(index: high - 1, lastIndex: lastIndex) }
        do {
            try flush()
        } catch {
            throw fail(error)
        }
        var out: [LogEntry] = []
        guard low < high else { return out }
        var next = low
        var bytes = 0
        var full = false
        var position = segmentPosition(containing: low)
        while next < high && !full && position < segments.count {
            let segment = segments[position]
            let checkpoint = Int((next - segment.firstIndex) / UInt64(options.indexStride))
            try forEachRecord(in: position, from: UInt64(segment.checkpoints[checkpoint])) { (entry, offset) throws(StorageError) in
                if entry.index < next { return true }
                guard entry.index == next else {
                    throw .corrupt(file: segment.path, offset: offset, reason: "found index \(entry.index) where \(next) belongs")
                }
                if !out.isEmpty && bytes + entry.data.count > maxBytes {
                    full = true
                    return false
                }
                bytes += entry.data.count
                out.append(entry)
                next += 1
                return next < high
            }
            position += 1
        }
        guard next == high || full else {
            throw .corrupt(file: segments[segments.count - 1].path, offset: 0, reason: "entries \(next)..<\(high) are missing")
        }
        return out
    }

    // MARK: - Internals

    static let hardStateFile = "hardstate"
    static let logStartFile = "logstart"

    func checkHealthy() throws(StorageError) {
        if let failure { throw .failed(failure) }
    }

    /// Puts the engine in the failed state and returns the error to throw.
    func fail(_ error: StorageError) -> StorageError {
        if case .failed = error { return error }
        failure = error.description
        logger.critical("storage failed; it must restart and recover from disk", metadata: ["error": "\(error)"])
        return .failed(error.description)
    }

    /// The position in `segments` of the segment holding `index` (the last with `firstIndex <= index`).
    func segmentPosition(containing index: UInt64) -> Int {
        var low = 0
        var high = segments.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if segments[mid].firstIndex <= index { low = mid } else { high = mid - 1 }
        }
        return low
    }

    private func write(_ batch: ArraySlice<LogEntry>) throws(StorageError) {
        pending.reserveCapacity(pending.count + batch.reduce(0) { $0 + RecordCodec.size(payloadCount: $1.data.count) })
        let stride = UInt64(options.indexStride)
        for entry in batch {
            let size = RecordCodec.size(payloadCount: entry.data.count)
            var last = segments.count - 1
            if segments[last].count > 0
                && segments[last].endOffset + UInt64(pending.count + size) > UInt64(options.segmentBytes)
            {
                try flush()
                try roll()
                last = segments.count - 1
            }
            if (entry.index - segments[last].firstIndex) % stride == 0 {
                segments[last].checkpoints.append(UInt32(segments[last].endOffset + UInt64(pending.count)))
            }
            RecordCodec.encode(entry, into: &pending)
            segments[last].count += 1
            if runTerms.last != entry.term {
                runFirsts.append(entry.index)
                runTerms.append(entry.term)
            }
            lastIndex = entry.index
            lastTerm = entry.term
            appendedCount += 1
        }
    }

    /// Writes the pending records to the active segment.
    func flush() throws(StorageError) {
        guard !pending.isEmpty else { return }
        let last = segments.count - 1
        try FileIO.pwriteAll(activeFD, pending, at: segments[last].endOffset, path: segments[last].path)
        segments[last].endOffset += UInt64(pending.count)
        activeDirty = true
        if pending.capacity > 4 << 20 {
            pending = []
        } else {
            pending.removeAll(keepingCapacity: true)
        }
        try writeZerosAhead()
    }

    /// Zeros written ahead of the records at a time.
    static let zeroChunk = [UInt8](repeating: 0, count: 256 * 1024)

    /// In a preallocated segment, writes zeros over the next `zeroChunk` of free space once the
    /// records come within half of it of the last zeros written. Allocated space is "unwritten"
    /// until written: a batch that writes into a new block would make its fdatasync also write the
    /// file's extent map; writing the zeros ahead converts a quarter mebibyte at once, so most
    /// batches sync data only. Zeros past the records are free space to recovery.
    private func writeZerosAhead() throws(StorageError) {
        let last = segments.count - 1
        let end = segments[last].endOffset
        guard options.preallocate, zeroedEnd < end + UInt64(Self.zeroChunk.count / 2) else { return }
        let from = max(zeroedEnd, end)
        let upTo = min(UInt64(options.segmentBytes), from + UInt64(Self.zeroChunk.count))
        guard upTo > from else { return }
        try FileIO.pwriteAll(activeFD, Array(Self.zeroChunk[..<Int(upTo - from)]), at: from, path: segments[last].path)
        zeroedEnd = upTo
    }

    /// Closes the active segment for writing (it is synced and closed at the next `sync()`) and starts the next.
    private func roll() throws(StorageError) {
        let old = segments[segments.count - 1]
        if activeDirty {
            sealed.append((activeFD, old.path, activeNeedsFullSync))
        } else {
            Glibc.close(activeFD)
        }
        activeFD = -1
        activeDirty = false
        activeNeedsFullSync = false
        try createSegment(sequence: old.sequence + 1, firstIndex: old.nextIndex)
    }

    /// Creates segment `sequence` starting at `firstIndex` and makes it the active one.
    func createSegment(sequence: UInt64, firstIndex: UInt64) throws(StorageError) {
        let path = directory + "/" + Segment.fileName(sequence: sequence)
        let fd = try FileIO.open(path, O_RDWR | O_CREAT | O_TRUNC)
        do {
            try FileIO.pwriteAll(fd, SegmentHeader(sequence: sequence, firstIndex: firstIndex).encoded(), at: 0, path: path)
            preallocate(fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
        segments.append(
            Segment(
                sequence: sequence, firstIndex: firstIndex, count: 0, endOffset: UInt64(SegmentHeader.size),
                checkpoints: [], path: path))
        activeFD = fd
        activeDirty = true
        activeNeedsFullSync = true
        directoryDirty = true
        zeroedEnd = 0
    }

    /// Removes every entry from `index` on: later segment files are deleted (newest first, so a
    /// crash leaves a prefix), the segment holding `index` is cut at that record.
    private func truncate(from index: UInt64) throws(StorageError) {
        let position = segmentPosition(containing: index)
        while segments.count - 1 > position {
            try dropSegmentFile(at: segments.count - 1)
        }
        var segment = segments[position]
        if activeFD < 0 {
            if let found = sealed.firstIndex(where: { $0.path == segment.path }) {
                activeFD = sealed.remove(at: found).fd
            } else {
                activeFD = try FileIO.open(segment.path, O_RDWR)
            }
        }
        var cut = segment.endOffset
        let checkpoint = Int((index - segment.firstIndex) / UInt64(options.indexStride))
        try forEachRecord(in: position, from: UInt64(segment.checkpoints[checkpoint]), withData: false) {
            (entry, offset) throws(StorageError) in
            if entry.index < index { return true }
            cut = offset
            return false
        }
        guard ftruncate(activeFD, off_t(cut)) == 0 else { throw .system("ftruncate \(segment.path)") }
        preallocate(activeFD)
        zeroedEnd = 0
        segment.count = index - segment.firstIndex
        segment.endOffset = cut
        segment.checkpoints.removeLast(
            segment.checkpoints.count - Segment.checkpointCount(records: segment.count, stride: options.indexStride))
        segments[position] = segment
        activeDirty = true
        activeNeedsFullSync = true
        if let cache = readCache, cache.sequence == segment.sequence {
            Glibc.close(cache.fd)
            readCache = nil
        }
        while let first = runFirsts.last, first >= index {
            runFirsts.removeLast()
            runTerms.removeLast()
        }
        lastIndex = index - 1
        lastTerm = try term(at: lastIndex)
    }

    /// Allocates the segment file open on `fd` up to `segmentBytes` when `options.preallocate` says so
    /// (its size changes at the next full sync). A failure (no space, no support) only leaves the file
    /// to grow as it is appended to.
    func preallocate(_ fd: Int32) {
        guard options.preallocate else { return }
        _ = posix_fallocate(fd, 0, off_t(options.segmentBytes))
    }

    /// Deletes the file of `segments[position]` and forgets it (any descriptor on it is closed).
    func dropSegmentFile(at position: Int) throws(StorageError) {
        let segment = segments[position]
        if position == segments.count - 1 && activeFD >= 0 {
            Glibc.close(activeFD)
            activeFD = -1
            activeDirty = false
            activeNeedsFullSync = false
        }
        if let found = sealed.firstIndex(where: { $0.path == segment.path }) {
            Glibc.close(sealed.remove(at: found).fd)
        }
        if let cache = readCache, cache.sequence == segment.sequence {
            Glibc.close(cache.fd)
            readCache = nil
        }
        try FileIO.remove(segment.path)
        segments.remove(at: position)
        directoryDirty = true
    }

    /// Replaces the log by an empty one after the snapshot when the log does not hold the
    /// snapshot's last entry with its term (Raft's rule for installing a snapshot).
    func reconcileWithSnapshot() throws(StorageError) {
        guard snapshotIndex > startIndex || (snapshotIndex == startIndex && snapshotTerm != startTerm) else { return }
        if snapshotIndex <= lastIndex, (try? term(at: snapshotIndex)) == snapshotTerm { return }
        try writeLogStart(index: snapshotIndex, term: snapshotTerm)
        let nextSequence = (segments.last?.sequence ?? 0) + 1
        while !segments.isEmpty {
            try dropSegmentFile(at: segments.count - 1)
        }
        startIndex = snapshotIndex
        startTerm = snapshotTerm
        lastIndex = snapshotIndex
        lastTerm = snapshotTerm
        runFirsts.removeAll()
        runTerms.removeAll()
        try createSegment(sequence: nextSequence, firstIndex: snapshotIndex + 1)
    }

    func writeLogStart(index: UInt64, term: UInt64) throws(StorageError) {
        let bytes = FixedFile.encode(magic: FixedFile.logStartMagic, fields: [index, term])
        try FileIO.writeAtomically(bytes, directory: directory, name: Self.logStartFile)
        syncCount += 2
    }

    /// Drops term runs that lie wholly at or below the compaction point.
    func trimRuns() {
        var drop = 0
        while drop + 1 < runFirsts.count && runFirsts[drop + 1] <= startIndex + 1 { drop += 1 }
        if drop > 0 {
            runFirsts.removeFirst(drop)
            runTerms.removeFirst(drop)
        }
        if lastIndex == startIndex {
            runFirsts.removeAll()
            runTerms.removeAll()
        }
    }

    /// A descriptor for reading `segments[position]`.
    private func readDescriptor(_ position: Int) throws(StorageError) -> Int32 {
        if position == segments.count - 1 && activeFD >= 0 { return activeFD }
        let segment = segments[position]
        if let cache = readCache {
            if cache.sequence == segment.sequence { return cache.fd }
            Glibc.close(cache.fd)
            readCache = nil
        }
        let fd = try FileIO.open(segment.path, O_RDONLY)
        readCache = (segment.sequence, fd)
        return fd
    }

    /// Calls `body` with each record of `segments[position]` from byte `offset` on, until it returns false.
    func forEachRecord(
        in position: Int, from offset: UInt64, withData: Bool = true,
        _ body: (LogEntry, UInt64) throws(StorageError) -> Bool
    ) throws(StorageError) {
        let segment = segments[position]
        let fd = try readDescriptor(position)
        var at = offset
        var readSize = 256 * 1024
        while at < segment.endOffset {
            let count = Int(min(UInt64(readSize), segment.endOffset - at))
            let bytes = try FileIO.pread(fd, count: count, at: at, path: segment.path)
            var cursor = 0
            scan: while cursor < bytes.count {
                switch RecordCodec.decode(bytes, at: cursor, withData: withData) {
                case .record(let entry, let size):
                    guard try body(entry, at + UInt64(cursor)) else { return }
                    cursor += size
                case .incomplete(let needed):
                    if cursor == 0 {
                        guard bytes.count == count, at + UInt64(bytes.count + needed) <= segment.endOffset else {
                            throw .corrupt(file: segment.path, offset: at, reason: "record runs past the end of the file")
                        }
                        readSize = bytes.count + needed
                    }
                    break scan
                case .invalid(let reason):
                    throw .corrupt(file: segment.path, offset: at + UInt64(cursor), reason: reason)
                }
            }
            at += UInt64(cursor)
        }
    }
}

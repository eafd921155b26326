import RaftCore
import PGRaftStorageProtocol
import PGRaftBytes

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension LogEngine {
    /// Scans and verifies the directory, then brings the log to a consistent state.
    ///
    /// Every check runs before anything is changed on disk: a directory that fails one is left
    /// exactly as it was. Repairs are only those a crash can require: a torn tail of the last segment
    /// is cut, a last segment whose header never reached the disk is removed, temporary files are
    /// removed, and an interrupted compaction or snapshot install is completed.
    func recover() throws(StorageError) {
        try FileIO.makeDirectories(directory)
        let names = try FileIO.list(directory)

        let hardStatePath = directory + "/" + Self.hardStateFile
        if let bytes = try FileIO.readFile(hardStatePath) {
            do {
                let fields = try FixedFile.decode(bytes, magic: FixedFile.hardStateMagic, fieldCount: 3)
                hardState = HardState(term: fields[0], vote: fields[1] == 0 ? nil : fields[1], commit: fields[2])
            } catch {
                throw .corrupt(file: hardStatePath, offset: 0, reason: "hard state: \(error.description)")
            }
        }
        let logStartPath = directory + "/" + Self.logStartFile
        if let bytes = try FileIO.readFile(logStartPath) {
            do {
                let fields = try FixedFile.decode(bytes, magic: FixedFile.logStartMagic, fieldCount: 2)
                startIndex = fields[0]
                startTerm = fields[1]
            } catch {
                throw .corrupt(file: logStartPath, offset: 0, reason: "compaction point: \(error.description)")
            }
        }

        let snapshots = names.compactMap(Self.parseSnapshotName).sorted { ($0.index, $0.term) < ($1.index, $1.term) }
        if let newest = snapshots.last {
            let path = directory + "/" + newest.name
            let snapshot: StoredSnapshot
            let bytes = try FileIO.readFile(path) ?? []
            do {
                snapshot = try SnapshotCodec.decode(bytes)
            } catch {
                throw .corrupt(file: path, offset: 0, reason: "snapshot: \(error.description)")
            }
            guard snapshot.index == newest.index, snapshot.term == newest.term else {
                throw .corrupt(
                    file: path, offset: 16,
                    reason: "snapshot holds index \(snapshot.index) term \(snapshot.term), not what its name says")
            }
            snapshotIndex = snapshot.index
            snapshotTerm = snapshot.term
            snapshotFile = newest.name
        }
        guard startIndex <= snapshotIndex else {
            throw .corrupt(
                file: logStartPath, offset: 16,
                reason: "the log is compacted up to \(startIndex) but no snapshot covers it (newest snapshot: \(snapshotIndex))")
        }

        let sequences = names.compactMap(Segment.sequence(fromFileName:)).sorted()
        for i in sequences.indices.dropFirst() where sequences[i] != sequences[i - 1] + 1 {
            throw .corrupt(
                file: directory + "/" + Segment.fileName(sequence: sequences[i]), offset: 0,
                reason: "segment files \(Segment.fileName(sequence: sequences[i - 1] + 1)) to "
                    + "\(Segment.fileName(sequence: sequences[i] - 1)) are missing before it")
        }
        var tornTail: TornTail?
        var tornHeader: String?
        for (i, sequence) in sequences.enumerated() {
            let isLast = i == sequences.count - 1
            let scanned = try scanSegment(
                sequence: sequence, isLast: isLast, expectedFirst: segments.last?.nextIndex, previousTerm: runTerms.last ?? 0)
            switch scanned {
            case .segment(let segment, let tail):
                segments.append(segment)
                tornTail = tail
            case .tornHeader(let path):
                tornHeader = path
            }
        }

        // Plan the reconciliation with the compaction point and the snapshot, check, then act.
        if let first = segments.first, first.firstIndex > startIndex + 1 {
            throw .corrupt(
                file: first.path, offset: 0,
                reason: "the log starts at index \(first.firstIndex) but the compaction point is \(startIndex): "
                    + "the segments holding \(startIndex + 1)..<\(first.firstIndex) are missing")
        }
        let logLast = segments.last.map { $0.nextIndex - 1 } ?? 0
        func physicalTerm(_ index: UInt64) -> UInt64? {
            guard let first = segments.first, index >= first.firstIndex, index <= logLast, !runFirsts.isEmpty else { return nil }
            var k = runFirsts.count - 1
            while k > 0 && runFirsts[k] > index { k -= 1 }
            return runTerms[k]
        }
        var discardLog = segments.isEmpty || logLast < startIndex
            || (startIndex > 0 && physicalTerm(startIndex).map { $0 != startTerm } == true)
        var installSnapshot = false
        if snapshotIndex > startIndex || (snapshotIndex == startIndex && snapshotIndex > 0 && snapshotTerm != startTerm) {
            if snapshotIndex > logLast || physicalTerm(snapshotIndex) != snapshotTerm {
                installSnapshot = true
                discardLog = true
            }
        }
        let plannedStart = installSnapshot ? snapshotIndex : startIndex
        let plannedLast = discardLog ? plannedStart : max(logLast, startIndex)
        guard hardState.commit <= plannedLast else {
            throw .corrupt(
                file: hardStatePath, offset: 32,
                reason: "the hard state's commit index \(hardState.commit) points past the end of the log "
                    + "(last index \(plannedLast)): acknowledged entries are missing")
        }

        // Act: everything below changes the directory.
        for name in names where name.hasSuffix(".tmp") {
            try FileIO.remove(directory + "/" + name)
            recovery.removedFiles.append(name)
            logger.info("removed the temporary file of an interrupted write", metadata: ["file": "\(name)"])
        }
        for old in snapshots.dropLast() {
            try FileIO.remove(directory + "/" + old.name)
            recovery.removedFiles.append(old.name)
        }
        if let path = tornHeader {
            try FileIO.remove(path)
            recovery.removedFiles.append(path)
            logger.warning("removed a new segment whose header never reached the disk", metadata: ["file": "\(path)"])
        }
        if let tail = tornTail, !discardLog {
            let fd = try FileIO.open(tail.file, O_RDWR)
            defer { Glibc.close(fd) }
            guard ftruncate(fd, off_t(tail.offset)) == 0 else { throw .system("ftruncate \(tail.file)") }
            preallocate(fd)
            try FileIO.fullSync(fd, path: tail.file)
            recovery.truncatedTail = tail
            logger.warning(
                "truncated a torn tail", metadata: ["file": "\(tail.file)", "offset": "\(tail.offset)", "bytes": "\(tail.bytes)"])
        }
        if installSnapshot {
            try writeLogStart(index: snapshotIndex, term: snapshotTerm)
            startIndex = snapshotIndex
            startTerm = snapshotTerm
        }
        let nextSequence = (sequences.last ?? 0) + 1
        if discardLog {
            while !segments.isEmpty {
                recovery.removedFiles.append(segments[segments.count - 1].path)
                try dropSegmentFile(at: segments.count - 1)
            }
            if logLast > 0 {
                logger.info("dropped the log entries an interrupted compaction or snapshot install had superseded")
            }
            runFirsts.removeAll()
            runTerms.removeAll()
            try createSegment(sequence: nextSequence, firstIndex: startIndex + 1)
            lastIndex = startIndex
            lastTerm = startTerm
        } else {
            while segments.count > 1 && segments[0].nextIndex - 1 <= startIndex {
                recovery.removedFiles.append(segments[0].path)
                try dropSegmentFile(at: 0)
            }
            let last = segments.count - 1
            activeFD = try FileIO.open(segments[last].path, O_RDWR)
            if options.preallocate, try FileIO.size(activeFD, path: segments[last].path) < UInt64(options.segmentBytes) {
                preallocate(activeFD)
                activeDirty = true
                activeNeedsFullSync = true
            }
            lastIndex = max(logLast, startIndex)
            trimRuns()
            lastTerm = lastIndex == startIndex ? startTerm : (runTerms.last ?? startTerm)
            // What recovery read may be only in the page cache: a storage process killed between
            // a write and its fdatasync leaves the records there. Consensus then sends that batch
            // again, finds every entry already held, and would be answered "persisted" with no
            // sync at all; a power loss after that would take acknowledged entries. So all of it
            // is made durable before anything is served.
            for segment in segments.dropLast() {
                let fd = try FileIO.open(segment.path, O_RDONLY)
                defer { Glibc.close(fd) }
                try FileIO.fullSync(fd, path: segment.path)
                syncCount += 1
            }
            activeDirty = true
            activeNeedsFullSync = true
            directoryDirty = true
        }
        try sync()
        recovery.entries = lastIndex - startIndex
        logger.info(
            "log recovered",
            metadata: [
                "first_index": "\(firstIndex)", "last_index": "\(lastIndex)", "segments": "\(segments.count)",
                "snapshot_index": "\(snapshotIndex)", "commit": "\(hardState.commit)", "term": "\(hardState.term)",
            ])
    }

    enum ScannedSegment {
        case segment(Segment, tornTail: TornTail?)
        case tornHeader(String)
    }

    /// Reads and verifies one segment file, building its checkpoints and the term runs.
    private func scanSegment(sequence: UInt64, isLast: Bool, expectedFirst: UInt64?, previousTerm: UInt64)
        throws(StorageError) -> ScannedSegment
    {
        let path = directory + "/" + Segment.fileName(sequence: sequence)
        let fd = try FileIO.open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        let size = try FileIO.size(fd, path: path)
        let header: SegmentHeader
        let headerBytes = try FileIO.pread(fd, count: SegmentHeader.size, at: 0, path: path)
        do {
            header = try SegmentHeader.decode(headerBytes)
        } catch {
            if isLast, try FileIO.isZero(fd, from: 0, to: size, path: path) {
                return .tornHeader(path)
            }
            throw .corrupt(file: path, offset: 0, reason: "segment header: \(error.description)")
        }
        guard header.sequence == sequence else {
            throw .corrupt(file: path, offset: 16, reason: "the header says sequence \(header.sequence), the file name \(sequence)")
        }
        guard header.firstIndex >= 1 else { throw .corrupt(file: path, offset: 24, reason: "first index 0") }
        if let expectedFirst, header.firstIndex != expectedFirst {
            throw .corrupt(
                file: path, offset: 24,
                reason: "the segment starts at index \(header.firstIndex) but the one before ends at \(expectedFirst - 1): "
                    + "entries are missing")
        }
        var segment = Segment(
            sequence: sequence, firstIndex: header.firstIndex, count: 0, endOffset: UInt64(SegmentHeader.size),
            checkpoints: [], path: path)
        var termBefore = previousTerm
        let stride = UInt64(options.indexStride)
        var at = UInt64(SegmentHeader.size)
        var readSize = 1 << 20
        var problem: (offset: UInt64, reason: String, torn: Bool)?
        scanning: while at < size {
            let count = Int(min(UInt64(readSize), size - at))
            let bytes = try FileIO.pread(fd, count: count, at: at, path: path)
            var cursor = 0
            while cursor < bytes.count {
                switch RecordCodec.decode(bytes, at: cursor, withData: false) {
                case .record(let entry, let recordSize):
                    if entry.index != segment.nextIndex {
                        problem = (at + UInt64(cursor), "record has index \(entry.index), expected \(segment.nextIndex)", false)
                        break scanning
                    }
                    if entry.term < termBefore {
                        problem = (at + UInt64(cursor), "record \(entry.index) has term \(entry.term), below \(termBefore) before it", false)
                        break scanning
                    }
                    if segment.count % stride == 0 { segment.checkpoints.append(UInt32(at + UInt64(cursor))) }
                    segment.count += 1
                    segment.endOffset = at + UInt64(cursor + recordSize)
                    if runTerms.last != entry.term {
                        runFirsts.append(entry.index)
                        runTerms.append(entry.term)
                    }
                    termBefore = entry.term
                    cursor += recordSize
                case .incomplete(let needed):
                    if cursor == 0 {
                        if at + UInt64(bytes.count + needed) > size || bytes.count < count {
                            problem = (at, "the file ends \(needed) bytes before the record does", true)
                            break scanning
                        }
                        readSize = bytes.count + needed
                    }
                    at += UInt64(cursor)
                    continue scanning
                case .invalid(let reason):
                    problem = (at + UInt64(cursor), reason, true)
                    break scanning
                }
            }
            at += UInt64(cursor)
        }
        guard let problem else { return .segment(segment, tornTail: nil) }
        // Zeros from a record boundary to the end are space allocated ahead (or a tail the crash left
        // unwritten): the records end there, and the next append goes there.
        if problem.torn, try FileIO.isZero(fd, from: problem.offset, to: size, path: path) {
            return .segment(segment, tornTail: nil)
        }
        guard isLast, problem.torn else {
            throw .corrupt(file: path, offset: problem.offset, reason: problem.reason)
        }
        // The last record of the last segment is bad. It is a torn write only if nothing valid follows it.
        let rest = try FileIO.pread(fd, count: Int(size - problem.offset), at: problem.offset, path: path)
        if let follower = Self.validRecord(in: rest, after: 0, minimumIndex: segment.nextIndex) {
            throw .corrupt(
                file: path, offset: problem.offset,
                reason: "\(problem.reason); a valid record (index \(follower.index)) follows at offset "
                    + "\(problem.offset + UInt64(follower.offset)), so this is not a torn tail")
        }
        return .segment(segment, tornTail: TornTail(file: path, offset: problem.offset, bytes: size - problem.offset))
    }

    /// The first offset after `start` in `bytes` where a whole valid record with an index of at least
    /// `minimumIndex` begins.
    static func validRecord(in bytes: [UInt8], after start: Int, minimumIndex: UInt64) -> (offset: Int, index: UInt64)? {
        var p = start + 1
        let limit = UInt64(bytes.count / RecordCodec.headerSize + 1)
        while p + RecordCodec.headerSize <= bytes.count {
            let length = Int(bytes.loadU32(at: p))
            if length <= RecordCodec.maxPayload && p + RecordCodec.headerSize + length <= bytes.count {
                let index = bytes.loadU64(at: p + 16)
                if index >= minimumIndex && index - minimumIndex <= limit,
                    case .record(let entry, _) = RecordCodec.decode(bytes, at: p, withData: false)
                {
                    return (p, entry.index)
                }
            }
            p += 1
        }
        return nil
    }

    static func parseSnapshotName(_ name: String) -> (name: String, index: UInt64, term: UInt64)? {
        guard name.hasPrefix("snapshot-"), name.hasSuffix(".snap"), name.utf8.count == 47 else { return nil }
        let parts = name.dropFirst(9).dropLast(5).split(separator: "-")
        guard parts.count == 2, let index = UInt64(parts[0], radix: 16), let term = UInt64(parts[1], radix: 16) else {
            return nil
        }
        return (name, index, term)
    }
}

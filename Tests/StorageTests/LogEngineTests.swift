import Testing
@testable import PGRaftStorage
import RaftCore
import PGRaftStorageProtocol

@Suite struct LogEngineTests {
    @Test func appendedEntriesReadBackAfterReopen() throws {
        let dir = TemporaryDirectory()
        do {
            let engine = try openEngine(dir)
            #expect(engine.firstIndex == 1 && engine.lastIndex == 0)
            #expect(try engine.append(entries(1...100)) == 100)
            try engine.sync()
            #expect(try engine.entries(from: 1, to: 101) == entries(1...100))
        }
        let engine = try openEngine(dir)
        #expect(engine.lastIndex == 100 && engine.lastTerm == 1)
        #expect(try engine.entries(from: 37, to: 64) == entries(37...63))
        #expect(try engine.entries(from: 100, to: 101) == [entry(100)])
        #expect(try engine.entries(from: 5, to: 5).isEmpty)
    }

    @Test("recovery makes every segment it read durable before serving (a killed process may leave writes unsynced)")
    func recoverySyncsWhatItRead() throws {
        let dir = TemporaryDirectory()
        do {
            let engine = try openEngine(dir, segmentBytes: 4096, stride: 4)
            try appendInBatches(engine, through: 200)
            #expect(engine.segmentCount > 2)
        }
        let engine = try openEngine(dir, segmentBytes: 4096, stride: 4)
        #expect(engine.syncCount >= UInt64(engine.segmentCount) + 1, "synced \(engine.syncCount) for \(engine.segmentCount) segments")
        #expect(!engine.hasUnsyncedChanges)
        #expect(try engine.entries(from: 1, to: 201) == entries(1...200))
    }

    /// Appends entries 1 through `last` in synced batches of 50.
    private func appendInBatches(_ engine: LogEngine, through last: UInt64) throws {
        for start in stride(from: UInt64(1), through: last, by: 50) {
            try engine.append(entries(start...min(start + 49, last)))
            try engine.sync()
        }
    }

    @Test func segmentsRollAtTheConfiguredSizeAndReadsCrossThem() throws {
        let dir = TemporaryDirectory()
        do {
            let engine = try openEngine(dir, segmentBytes: 4096, stride: 4)
            try appendInBatches(engine, through: 500)
            #expect(engine.segmentCount > 5)
            for name in dir.segmentFiles {
                let size = dir.bytes(name).count
                #expect(size <= 4096 + 25 + 200, "segment \(name) has \(size) bytes")
            }
            #expect(try engine.entries(from: 1, to: 501) == entries(1...500))
        }
        let engine = try openEngine(dir, segmentBytes: 4096, stride: 4)
        #expect(engine.lastIndex == 500)
        #expect(try engine.entries(from: 123, to: 389) == entries(123...388))
        #expect(try engine.entries(from: 1, to: 501, maxBytes: 1000).count < 20)
    }

    @Test func appendAtAnExistingIndexTruncatesTheLogThereFirst() throws {
        let dir = TemporaryDirectory()
        do {
            let engine = try openEngine(dir, segmentBytes: 2048, stride: 3)
            try engine.append(entries(1...300))
            try engine.sync()
            let segmentsBefore = engine.segmentCount
            // A new leader's entries replace 120... (term 2): later segments go, the one holding 120 is cut.
            try engine.append(entries(120...130, term: 2))
            try engine.sync()
            #expect(engine.lastIndex == 130 && engine.lastTerm == 2)
            #expect(engine.segmentCount < segmentsBefore)
            #expect(try engine.term(at: 119) == 1 && engine.term(at: 120) == 2)
        }
        let engine = try openEngine(dir, segmentBytes: 2048, stride: 3)
        #expect(engine.lastIndex == 130)
        #expect(try engine.entries(from: 110, to: 131) == entries(110...119) + entries(120...130, term: 2))
        try engine.append(entries(131...140, term: 2))
        try engine.sync()
        #expect(try engine.entries(from: 125, to: 141) == entries(125...140, term: 2))
    }

    @Test func resendingEntriesAlreadyPersistedIsANoOpEvenBelowTheCommitIndex() throws {
        let dir = TemporaryDirectory()
        let engine = try openEngine(dir)
        try engine.append(entries(1...20))
        try engine.saveHardState(HardState(term: 1, vote: 1, commit: 15))
        try engine.sync()
        // Consensus resends a batch whose reply was lost: 10...20 are here already, 21...25 are new.
        #expect(try engine.append(entries(10...25)) == 25)
        try engine.sync()
        #expect(try engine.entries(from: 1, to: 26) == entries(1...25))
        // A different term below the commit index is still refused: it would rewrite committed entries.
        #expect(throws: StorageError.self) { try engine.append(entries(12...13, term: 2)) }
    }

    @Test func truncationInsideOneBatchBeforeTheSyncIsDurableAfterIt() throws {
        let dir = TemporaryDirectory()
        do {
            let engine = try openEngine(dir, segmentBytes: 1024, stride: 2)
            try engine.append(entries(1...50))
            try engine.append(entries(10...20, term: 3))
            try engine.sync()
        }
        let engine = try openEngine(dir, segmentBytes: 1024, stride: 2)
        #expect(engine.lastIndex == 20)
        #expect(try engine.entries(from: 1, to: 21) == entries(1...9) + entries(10...20, term: 3))
    }

    @Test func invalidAppendsAreRefusedAndChangeNothing() throws {
        let dir = TemporaryDirectory()
        let engine = try openEngine(dir)
        try engine.append(entries(1...10, term: 2))
        try engine.saveHardState(HardState(term: 2, vote: 1, commit: 8))
        try engine.sync()
        #expect(throws: StorageError.self) { try engine.append([entry(12, term: 2)]) }  // gap
        #expect(throws: StorageError.self) { try engine.append([entry(11, term: 1)]) }  // term goes back
        #expect(throws: StorageError.self) { try engine.append([entry(11, term: 2), entry(13, term: 2)]) }
        #expect(throws: StorageError.self) { try engine.append([entry(8, term: 3)]) }  // would cut committed entries
        #expect(throws: StorageError.self) { try engine.saveHardState(HardState(term: 1, vote: 0, commit: 0)) }
        #expect(throws: StorageError.self) { try engine.saveHardState(HardState(term: 2, vote: 1, commit: 11)) }
        #expect(engine.lastIndex == 10)
        #expect(try engine.entries(from: 1, to: 11) == entries(1...10, term: 2))
        #expect(throws: StorageError.self) { try engine.entries(from: 5, to: 12) }
        #expect(throws: StorageError.self) { try engine.term(at: 11) }
    }

    @Test func hardStateSurvivesReopen() throws {
        let dir = TemporaryDirectory()
        do {
            let engine = try openEngine(dir)
            try engine.append(entries(1...5, term: 3))
            try engine.saveHardState(HardState(term: 4, vote: 2, commit: 5))
            try engine.sync()
        }
        let engine = try openEngine(dir)
        #expect(engine.hardState == HardState(term: 4, vote: 2, commit: 5))
    }

    @Test func compactionDropsWholeSegmentsAndKeepsTheTermOfTheCompactionPoint() throws {
        let dir = TemporaryDirectory()
        do {
            let engine = try openEngine(dir, segmentBytes: 2048, stride: 4)
            try engine.append(entries(1...200, term: 1) + entries(201...400, term: 2))
            try engine.sync()
            let before = dir.segmentFiles.count
            // Compaction past the snapshot is refused: those entries would exist nowhere.
            #expect(throws: StorageError.self) { try engine.compact(upTo: 250) }
            try engine.saveSnapshot(StoredSnapshot(index: 250, term: 2, membership: [1], data: [42]))
            #expect(engine.lastIndex == 400)
            try engine.compact(upTo: 250)
            #expect(dir.segmentFiles.count < before)
            #expect(engine.firstIndex == 251)
            #expect(try engine.term(at: 250) == 2)
            #expect(throws: StorageError.compacted(index: 249, firstIndex: 251)) { try engine.term(at: 249) }
            #expect(throws: StorageError.self) { try engine.entries(from: 250, to: 260) }
            #expect(try engine.entries(from: 251, to: 401) == entries(251...400, term: 2))
        }
        let engine = try openEngine(dir, segmentBytes: 2048, stride: 4)
        #expect(engine.firstIndex == 251 && engine.lastIndex == 400)
        #expect(try engine.term(at: 250) == 2)
        #expect(try engine.entries(from: 251, to: 401) == entries(251...400, term: 2))
        // Entries at or below the compaction point are covered by the snapshot and skipped.
        try engine.append(entries(395...410, term: 2))
        try engine.sync()
        #expect(engine.lastIndex == 410)
    }

    @Test func snapshotRoundTripsAndOlderOnesAreRefused() throws {
        let dir = TemporaryDirectory()
        let snapshot = StoredSnapshot(index: 30, term: 1, membership: [1, 2, 3], data: (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        do {
            let engine = try openEngine(dir)
            #expect(try engine.loadSnapshot() == nil)
            try engine.append(entries(1...50))
            try engine.sync()
            try engine.saveSnapshot(StoredSnapshot(index: 10, term: 1, data: [1]))
            try engine.saveSnapshot(snapshot)
            #expect(throws: StorageError.self) { try engine.saveSnapshot(StoredSnapshot(index: 20, term: 1)) }
            #expect(try engine.loadSnapshot() == snapshot)
            #expect(engine.lastIndex == 50)  // the log holds index 30 with term 1: it is kept
        }
        let engine = try openEngine(dir)
        #expect(try engine.loadSnapshot() == snapshot)
        #expect(engine.snapshotIndex == 30 && engine.lastIndex == 50)
        #expect(dir.fingerprint().keys.filter { $0.hasPrefix("snapshot-") }.count == 1)
    }

    @Test func installingASnapshotTheLogDoesNotHoldReplacesTheLog() throws {
        let dir = TemporaryDirectory()
        do {
            let engine = try openEngine(dir, segmentBytes: 2048)
            try engine.append(entries(1...100))
            try engine.sync()
            // The leader's snapshot at 500 (term 3): the follower's log is behind and is replaced.
            try engine.saveSnapshot(StoredSnapshot(index: 500, term: 3, membership: [9], data: [1, 2]))
            #expect(engine.firstIndex == 501 && engine.lastIndex == 500 && engine.lastTerm == 3)
            try engine.append(entries(501...510, term: 3))
            try engine.sync()
        }
        let engine = try openEngine(dir, segmentBytes: 2048)
        #expect(engine.firstIndex == 501 && engine.lastIndex == 510)
        #expect(try engine.entries(from: 501, to: 511) == entries(501...510, term: 3))
        #expect(try engine.term(at: 500) == 3)
    }

    @Test func theIndexInMemoryIsOneOffsetPerStrideNotPerEntry() throws {
        let dir = TemporaryDirectory()
        let engine = try openEngine(dir, stride: 32)
        for start in stride(from: UInt64(1), to: 100_000, by: 10_000) {
            try engine.append(entries(start...(start + 9_999), maxLength: 8))
            try engine.sync()
        }
        #expect(engine.lastIndex == 100_000)
        #expect(engine.indexMemoryBytes < 100_000 / 32 * 4 * 2 + 1024)
        #expect(try engine.entries(from: 77_777, to: 77_800) == entries(77_777...77_799, maxLength: 8))
    }
}

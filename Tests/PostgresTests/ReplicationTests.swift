import Foundation
import PGRaftBridge
import PGRaftPostgres
import Testing

/// Standbys: base backup, streaming through a slot, synchronous standbys, promotion and rewind,
/// re-pointing by reload, moving a directory aside.
@Suite struct ReplicationTests {
    @Test func aStandbyMadeByBaseBackupStreamsFromThePrimaryThroughItsSlot() throws {
        let (primary, standby) = try primaryAndStandby()
        defer {
            standby.cleanUp()
            primary.cleanUp()
        }
        let table = members(primary, standby)

        #expect(eventually { standby.observe(table).running?.streamingFrom == 1 }, "\(standby.observe(table))")
        let observed = standby.observe(table)
        #expect(observed.running?.inRecovery == true)
        #expect(observed.running?.timeline == 1)
        guard case .initialized(let standbyControl) = observed.dataDirectory,
            case .initialized(let primaryControl) = primary.observe(table).dataDirectory
        else {
            Issue.record("not both initialized")
            return
        }
        #expect(standbyControl.isStandby)
        #expect(standbyControl.systemIdentifier == primaryControl.systemIdentifier)

        #expect(eventually { primary.observe(table).running?.standbys.map(\.node) == [2] })
        #expect(primary.observe(table).running?.standbys.first?.streaming == true)
        #expect((primary.observe(table).running?.standbys.first?.flushed ?? .zero) > .zero)
        let slot = try primary.query("SELECT active FROM pg_replication_slots WHERE slot_name = 'pgraft_node_2'")
        #expect(slot == [["t"]])

        try primary.query("CREATE TABLE fruit (name text); INSERT INTO fruit VALUES ('apple')")
        #expect(eventually { try standby.query("SELECT name FROM fruit") == [["apple"]] })
        let primaryFlushed = try #require(primary.observe(table).running?.flushed)
        #expect(eventually { (standby.observe(table).running?.replayed ?? .zero) >= primaryFlushed })
    }

    @Test func theBranchMarkIsReadBackAndABaseBackupCopiesIt() throws {
        let primary = try TestNode.make(1)
        defer { primary.cleanUp() }
        let standby = try TestNode.make(2)
        defer { standby.cleanUp() }
        let table = members(primary, standby)
        try primary.server.initialize(members: table)
        #expect(primary.observe(table).branch == 0, "no mark yet")
        try primary.server.markBranch(7)
        #expect(primary.observe(table).branch == 7)
        try standby.server.baseBackup(from: primary.upstream, members: table)
        #expect(standby.observe(table).branch == 7, "a clone holds a prefix of its upstream's history: its branch")
    }

    @Test func synchronousStandbyNamesAreReadBackAndHoldACommitWhileTheStandbyIsDown() throws {
        let (primary, standby) = try primaryAndStandby()
        defer {
            standby.cleanUp()
            primary.cleanUp()
        }
        let table = members(primary, standby)
        try primary.query("CREATE TABLE ledger (n int)")

        try primary.server.setSynchronousStandbys("ANY 1 (pgraft_node_2)")
        #expect(try primary.server.synchronousStandbyNames() == "ANY 1 (pgraft_node_2)")
        #expect(primary.observe(table).running?.synchronousStandbyNames == "ANY 1 (pgraft_node_2)")
        #expect(eventually { primary.observe(table).running?.standbys.first?.streaming == true })
        try primary.query("INSERT INTO ledger VALUES (1)", timeoutMs: 10_000)

        try standby.server.stop(.fast)
        #expect(eventually { primary.observe(table).running?.standbys.isEmpty == true })
        let error = #expect(throws: PostgresError.self) { try primary.query("INSERT INTO ledger VALUES (2)", timeoutMs: 1_000) }
        #expect(error?.code == .query)
        #expect(error?.message.contains("no answer within 1000 ms") == true, "\(String(describing: error))")

        try standby.server.start(as: .standby(of: primary.upstream), members: table)
        try primary.query("INSERT INTO ledger VALUES (3)", timeoutMs: 20_000)
        #expect(eventually { try standby.query("SELECT count(*) FROM ledger") == [["3"]] })

        try primary.server.setSynchronousStandbys("")
        #expect(try primary.server.synchronousStandbyNames() == "")
    }

    @Test func aPromotedStandbyIsOnTimelineTwoAndTheOldPrimaryIsRewoundToFollowIt() throws {
        let (old, new) = try primaryAndStandby()
        defer {
            new.cleanUp()
            old.cleanUp()
        }
        let table = members(old, new)
        try old.query("CREATE TABLE events (what text); INSERT INTO events VALUES ('before')")
        #expect(eventually { try new.query("SELECT count(*) FROM events") == [["1"]] })

        try new.server.promote()
        let promoted = try #require(new.observe(table).running)
        #expect(!promoted.inRecovery)
        #expect(promoted.timeline == 2)
        try new.query("INSERT INTO events VALUES ('after on the new primary')")
        // The old primary, cut off, still takes a write: its history diverges from the new one.
        try old.query("INSERT INTO events VALUES ('lost on the old primary')")
        try old.server.stop(.fast)

        try new.server.ensureSlots(for: [1, 2])
        try old.server.rewind(from: new.upstream, members: table)
        try old.server.start(as: .standby(of: new.upstream), members: table)

        #expect(eventually { old.observe(table).running?.streamingFrom == 2 }, "\(old.observe(table))")
        let rewound = try #require(old.observe(table).running)
        #expect(rewound.inRecovery)
        #expect(rewound.timeline == 2)
        #expect(eventually {
            try old.query("SELECT what FROM events ORDER BY what") == [["after on the new primary"], ["before"]]
        })
        #expect(eventually { new.observe(table).running?.standbys.map(\.node) == [1] })
    }

    @Test func aStandbyIsRepointedToTheNewPrimaryByAReloadWithItsPostmasterKept() throws {
        let (first, second) = try primaryAndStandby()
        let third = try TestNode.make(3)
        defer {
            third.cleanUp()
            second.cleanUp()
            first.cleanUp()
        }
        let table = members(first, second, third)
        try first.server.ensureSlots(for: [1, 2, 3])
        try third.server.baseBackup(from: first.upstream, members: table)
        try third.server.start(as: .standby(of: first.upstream), members: table)
        #expect(eventually { third.observe(table).running?.streamingFrom == 1 })
        let pid = try #require(third.server.postmaster?.pid)

        // Failover: the primary stops, the second server is promoted, the third follows it.
        try first.server.stop(.fast)
        try second.server.promote()
        try second.server.ensureSlots(for: [1, 2, 3])
        try third.server.follow(second.upstream, members: table)

        #expect(eventually { third.observe(table).running?.streamingFrom == 2 }, "\(third.observe(table))")
        #expect(third.server.postmaster?.pid == pid)
        #expect(third.observe(table).running?.postmasterPID == pid)
        #expect(third.observe(table).running?.timeline == 2)
        try second.query("CREATE TABLE after_failover (n int)")
        #expect(eventually { try third.query("SELECT count(*) FROM after_failover") == [["0"]] })
    }

    @Test func slotsOfFormerMembersAreDroppedAndMovingAsideKeepsTheOldDirectoryForAFreshBaseBackup() throws {
        let (primary, standby) = try primaryAndStandby()
        defer {
            standby.cleanUp()
            primary.cleanUp()
        }
        let table = members(primary, standby)
        #expect(try primary.server.ensureSlots(for: [1]) == SlotChanges(inUse: [2]))  // still streaming: kept
        try standby.server.stop(.fast)
        #expect(eventually { try primary.server.ensureSlots(for: [1]) == SlotChanges(dropped: [2]) })
        #expect(try primary.server.ensureSlots(for: [1, 2]) == SlotChanges(created: [2]))

        let moved = try standby.server.moveAside()
        #expect(moved.hasPrefix(standby.server.spec.dataDirectory + ".moved-"))
        #expect(FileManager.default.fileExists(atPath: moved + "/PG_VERSION"))
        #expect(standby.observe(table).dataDirectory == .empty)

        try primary.query("CREATE TABLE fresh (n int)")
        try primary.server.setSynchronousStandbys("ANY 1 (pgraft_node_2)")
        try standby.server.baseBackup(from: primary.upstream, members: table)
        // The copy's pgraft.conf is the clone's own: its port, its upstream, no synchronous standbys of the primary.
        let copied = standby.server.currentConfiguration()
        #expect(copied["port"] == "\(standby.sandbox.port)")
        #expect(copied["synchronous_standby_names"] == "")
        #expect(copied["primary_slot_name"] == "pgraft_node_2")
        try standby.server.start(as: .standby(of: primary.upstream), members: table)
        #expect(eventually { standby.observe(table).running?.streamingFrom == 1 })
        #expect(eventually { try standby.query("SELECT count(*) FROM fresh") == [["0"]] })
        #expect(FileManager.default.fileExists(atPath: moved + "/PG_VERSION"))
    }
}

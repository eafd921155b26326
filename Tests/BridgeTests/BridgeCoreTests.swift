import PGRaftBridge
import Testing

@Suite("the bridge core's decisions")
struct BridgeCoreTests {
    typealias H = BridgeHarness

    @Test("a new cluster: the first leader claims the bootstrap, runs initdb, records the identifier, starts fenced, then lifts the fence")
    func bootstrap() throws {
        var h = H()
        h.view.leader = 1
        h.view.term = 2
        let claim = try #require(writes(h.show()).first)
        guard case .topology(let t, 0) = claim else { return #expect(Bool(false), "\(claim)") }
        #expect(t.primary == 1 && t.systemIdentifier == 0 && t.branch == 2)
        h.view.topology = t
        h.view.topologyRevision = 5
        #expect(operations(h.written(claim)) == [.initdb])
        h.server = H.stopped(standby: false, branch: 0)
        let record = try #require(writes(h.performed(.initdb)).first)
        guard case .topology(let full, 5) = record else { return #expect(Bool(false), "\(record)") }
        #expect(full.systemIdentifier == 42 && full.primary == 1)
        h.view.topology = full
        h.view.topologyRevision = 6
        #expect(operations(h.written(record)) == [.start(standby: false, upstream: nil)])
        h.server = H.running(standby: false, names: SynchronousStandbys.fence, branch: 0)
        // The record is of this term: mark the branch, then quorum commit.
        #expect(operations(h.performed(.start(standby: false, upstream: nil))) == [.markBranch(2)])
        h.server.branch = 2
        #expect(operations(h.performed(.markBranch(2))) == [.setSynchronousStandbys("ANY 1 (pgraft_node_2, pgraft_node_3)")])
        h.server = H.running(standby: false, names: "ANY 1 (pgraft_node_2, pgraft_node_3)", branch: 2)
        #expect(operations(h.performed(.setSynchronousStandbys("ANY 1 (pgraft_node_2, pgraft_node_3)"))) == [.keepSlots([2, 3])])
        let done = h.performed(.keepSlots([2, 3]))
        #expect(published(done).last?.role == .primary)
    }

    @Test("the first leader given a data directory adopts it: claims the bootstrap, records its identifier, starts it fenced")
    func adoption() throws {
        var h = H()
        h.view.leader = 1
        h.view.term = 2
        h.server = H.stopped(standby: false, system: 77, branch: 0)
        let claim = try #require(writes(h.show()).first)
        guard case .topology(let t, 0) = claim else { return #expect(Bool(false), "\(claim)") }
        #expect(t.systemIdentifier == 0 && t.primary == 1)
        h.view.topology = t
        h.view.topologyRevision = 3
        let record = try #require(writes(h.written(claim)).first)
        guard case .topology(let adopted, 3) = record else { return #expect(Bool(false), "\(record)") }
        #expect(adopted.systemIdentifier == 77, "the directory's own identifier is recorded")
        h.view.topology = adopted
        #expect(operations(h.written(record)) == [.start(standby: false, upstream: nil)])
    }

    @Test("a follower with an empty directory waits for the first primary, then clones it")
    func followerClones() {
        var h = H(node: 2)
        h.view.leader = 1
        #expect(operations(h.show()).isEmpty)
        h.view.topology = Topology(primary: 1, term: 1, timeline: 1, branch: 1, systemIdentifier: 42)
        #expect(operations(h.show()) == [.baseBackup(from: 1)])
    }

    /// A writable primary of term 3 on node 1, its slots kept.
    static func writablePrimary() -> H {
        var h = H()
        h.view.term = 3
        h.view.leader = 1
        h.view.topology = Topology(primary: 1, term: 3, timeline: 1, branch: 1, systemIdentifier: 42)
        h.server = H.running(standby: false, names: "ANY 1 (pgraft_node_2, pgraft_node_3)")
        let slots = operations(h.show())
        #expect(slots == [.keepSlots([2, 3])])
        #expect(published(h.performed(.keepSlots([2, 3]))).last?.role == .primary)
        return h
    }

    @Test("a primary whose node stops leading is fenced at once, reports, and is stopped once another is recorded")
    func fencing() {
        var h = Self.writablePrimary()
        h.view.term = 4
        h.view.leader = 2
        #expect(operations(h.show()) == [.setSynchronousStandbys(SynchronousStandbys.fence)])
        h.server = H.running(standby: false, names: SynchronousStandbys.fence)
        let afterFence = h.performed(.setSynchronousStandbys(SynchronousStandbys.fence))
        #expect(operations(afterFence).isEmpty, "the record still names this node: stay up, fenced")
        let roles = writes(afterFence).compactMap { w -> MemberReport.ServerRole? in if case .report(let r) = w { return r.role } else { return nil } }
        #expect(roles == [.primary])
        h.view.topology = Topology(primary: 2, term: 4, timeline: 1, branch: 4, systemIdentifier: 42)
        #expect(operations(h.show()) == [.stop])
    }

    @Test("a fenced former primary is not stopped on a record of an earlier term: it stays up and reports its position")
    func staleRecordKeepsTheFormerPrimaryUpToReport() {
        var h = H(node: 3)
        h.view.term = 6
        h.view.leader = 2
        h.view.topology = Topology(primary: 1, term: 5, timeline: 2, branch: 5, systemIdentifier: 42)
        h.server = H.running(standby: false, names: SynchronousStandbys.fence)
        let actions = h.show()
        #expect(!operations(actions).contains(.stop))
        let roles = writes(actions).compactMap { w -> MemberReport.ServerRole? in if case .report(let r) = w, r.term == 6 { return r.role } else { return nil } }
        #expect(roles == [.primary])
    }

    @Test("with no-fencing injected, nothing fences the primary (the defect is real)")
    func noFencingDefect() {
        var h = H { $0.defects = .noFencing }
        h.view.term = 4
        h.view.leader = 2
        h.view.topology = Topology(primary: 2, term: 4, timeline: 1, branch: 4, systemIdentifier: 42)
        h.server = H.running(standby: false, names: "ANY 1 (pgraft_node_2, pgraft_node_3)")
        #expect(!operations(h.show()).contains(.setSynchronousStandbys(SynchronousStandbys.fence)))
        #expect(!operations(h.show()).contains(.stop))
    }

    /// A leader (node 1) whose standby must take over from node 3 (whose stream broke: its host
    /// is gone), reports in hand.
    static func newLeader(reports: [MemberReport], defects: BridgeDefects = []) -> H {
        var h = H { $0.defects = defects }
        h.view.term = 5
        h.view.leader = 1
        h.view.topology = Topology(primary: 3, term: 4, timeline: 1, branch: 1, systemIdentifier: 42)
        h.view.topologyRevision = 9
        h.server = H.running(standby: true, position: 100)
        for r in reports { h.view.reports[r.node] = r }
        return h
    }

    /// Takes the new leader through detaching and reporting; returns its report.
    static func detachAndReport(_ h: inout H) throws -> MemberReport {
        #expect(operations(h.show()) == [.follow(upstream: nil)])
        h.server = H.running(standby: true, position: 100)
        let report = try #require(writes(h.performed(.follow(upstream: nil))).first)
        guard case .report(let mine) = report else { throw Unexpected(what: "\(report)") }
        h.view.reports[1] = mine
        return mine
    }

    struct Unexpected: Error { let what: String }

    @Test("a new leader stops streaming, reports, waits for a majority, and hands leadership to a server that is ahead")
    func aheadGetsLeadership() throws {
        var h = Self.newLeader(reports: [])
        let mine = try Self.detachAndReport(&h)
        #expect(mine.term == 5 && mine.position == WALPosition(100) && mine.branch == 1)
        let waiting = h.written(.report(mine))
        #expect(writes(waiting).isEmpty && transfers(waiting).isEmpty, "one report of three voters is no majority")
        h.view.reports[2] = H.report(2, term: 5, position: 120)
        #expect(transfers(h.show(after: 2_000)) == [2])
    }

    @Test("a new leader ahead of the majority records itself, then sets quorum commit, then promotes")
    func promoteAfterRecord() throws {
        var h = Self.newLeader(reports: [H.report(2, term: 5, position: 90)])
        let mine = try Self.detachAndReport(&h)
        let record = try #require(writes(h.written(.report(mine))).first)
        guard case .topology(let t, 9) = record else { return #expect(Bool(false), "\(record)") }
        #expect(t.primary == 1 && t.term == 5 && t.branch == 5)
        #expect(t.branchStart == WALPosition(100) && t.parentBranch == 1, "the branch begins where this server's WAL ends")
        #expect(operations(h.show()).isEmpty, "no promotion before the record is committed")
        h.view.topology = t
        let wanted = "ANY 1 (pgraft_node_2, pgraft_node_3)"
        #expect(operations(h.written(record)) == [.setSynchronousStandbys(wanted)])
        h.server = H.running(standby: true, position: 100, names: wanted)
        #expect(operations(h.performed(.setSynchronousStandbys(wanted))) == [.promote])
    }

    @Test("the defects promote-without-position-check and promote-before-topology-commit skip what they name")
    func promotionDefects() throws {
        var skipCheck = Self.newLeader(reports: [], defects: .promoteWithoutPositionCheck)
        #expect(operations(skipCheck.show()) == [.follow(upstream: nil)])
        skipCheck.server = H.running(standby: true, position: 100)
        let early = writes(skipCheck.performed(.follow(upstream: nil)))
        #expect(early.contains { if case .topology = $0 { return true } else { return false } }, "recorded without any report")

        var eager = Self.newLeader(reports: [H.report(2, term: 5, position: 90)], defects: .promoteBeforeTopologyCommit)
        let mine = try Self.detachAndReport(&eager)
        let actions = eager.written(.report(mine))
        #expect(writes(actions).count == 1)
        #expect(operations(actions) == [.setSynchronousStandbys("ANY 1 (pgraft_node_2, pgraft_node_3)")], "the promotion goes ahead of the record")
    }

    @Test("with synchronous off, a server too far behind the last primary position known is not promoted")
    func asynchronousLagLimit() throws {
        var h = H {
            $0.synchronous = .off
            $0.maximumLagOnFailover = 1_000
        }
        h.view.term = 5
        h.view.leader = 1
        h.view.topology = Topology(primary: 3, term: 4, timeline: 1, branch: 1, systemIdentifier: 42)
        h.view.topologyRevision = 9
        // The old primary's last report (an earlier term) said 5,000; this server holds 100.
        h.view.reports[3] = H.report(3, term: 4, position: 5_000, role: .primary)
        h.view.reports[2] = H.report(2, term: 5, position: 90)
        h.server = H.running(standby: true, position: 100)
        #expect(operations(h.show()) == [.follow(upstream: nil)])
        let report = try #require(writes(h.performed(.follow(upstream: nil))).first)
        guard case .report(let mine) = report else { return #expect(Bool(false)) }
        h.view.reports[1] = mine
        let after = h.written(report)
        #expect(writes(after).isEmpty && operations(after).isEmpty, "no record, no promotion")
        #expect(published(after).last?.detail.contains("maximum_lag_on_failover") == true, "\(published(after))")
    }

    @Test("a new leader still streaming from the recorded primary waits for its node, hands leadership back when it reports, and fails it over only after the grace")
    func hiccupIsNoFailover() {
        var h = Self.newLeader(reports: [H.report(2, term: 5, position: 90)])
        h.server = H.running(standby: true, position: 100, from: 3)
        let waiting = h.show()
        #expect(operations(waiting).isEmpty && writes(waiting).isEmpty, "no detach, no report, no record while the primary streams")
        #expect(published(waiting).last?.detail.contains("still streams") == true)
        // The primary's node is back and reports: leadership goes back to it, nothing else happens
        // (even when its report is older than WAL it wrote since, fenced, and this server received).
        h.view.reports[3] = H.report(3, term: 5, position: 60, role: .primary)
        let back = h.show(after: 500)
        #expect(transfers(back) == [3] && operations(back).isEmpty && writes(back).isEmpty)
        // Leading again soon after, in a later term: no second wait, the usual choice goes ahead.
        h.view.term = 6
        h.view.reports = [:]
        #expect(operations(h.show(after: 2_000)) == [.follow(upstream: nil)], "no wait within ten election timeouts of a handback")

        // Without its report, the failover goes ahead once the grace (three election timeouts) is over.
        var lost = Self.newLeader(reports: [H.report(2, term: 5, position: 90)])
        lost.server = H.running(standby: true, position: 100, from: 3)
        #expect(operations(lost.show()).isEmpty)
        #expect(operations(lost.show(after: 2_900)).isEmpty)
        #expect(operations(lost.show(after: 100)) == [.follow(upstream: nil)])

        // A report that the recorded primary's server is no primary ends the wait.
        var demoted = Self.newLeader(reports: [H.report(2, term: 5, position: 90)])
        demoted.server = H.running(standby: true, position: 100, from: 3)
        #expect(operations(demoted.show()).isEmpty)
        demoted.view.reports[3] = H.report(3, term: 5, position: 100, role: .standby)
        #expect(operations(demoted.show()) == [.follow(upstream: nil)])

        // A stream that breaks (the primary's host died) ends the wait at once.
        var broken = Self.newLeader(reports: [])
        broken.server = H.running(standby: true, position: 100, from: 3)
        #expect(operations(broken.show()).isEmpty)
        broken.server = H.running(standby: true, position: 100)
        #expect(operations(broken.show()) == [.follow(upstream: nil)])
    }

    @Test("a later branch outranks a longer WAL on an earlier one")
    func branchesRankFirst() {
        let abandoned = H.report(2, term: 9, branch: 7, position: 5_000)
        let current = H.report(3, term: 9, branch: 8, position: 100)
        #expect(current.isAhead(of: abandoned) && !abandoned.isAhead(of: current))
        #expect(H.report(2, term: 9, branch: 8, position: 101).isAhead(of: current))
    }

    @Test("the recorded primary regaining leadership renews the record and is not promoted again")
    func noNeedlessFailover() throws {
        var h = H()
        h.view.term = 7
        h.view.leader = 1
        h.view.topology = Topology(primary: 1, term: 5, timeline: 2, branch: 4, systemIdentifier: 42)
        h.view.topologyRevision = 11
        h.server = H.running(standby: false, timeline: 2, names: SynchronousStandbys.fence, branch: 4)
        let actions = h.show()
        #expect(operations(actions).isEmpty)
        let renewal = try #require(writes(actions).first)
        guard case .topology(let t, 11) = renewal else { return #expect(Bool(false), "\(renewal)") }
        #expect(t.primary == 1 && t.term == 7 && t.branch == 4 && t.timeline == 2)
        h.view.topology = t
        let after = h.written(renewal)
        #expect(operations(after) == [.setSynchronousStandbys("ANY 1 (pgraft_node_2, pgraft_node_3)")])
        #expect(!operations(after).contains(.promote))
    }

    @Test("a standby follows the leader, then reports for the term once its receiver left the old primary")
    func standbyFollowsAndReports() {
        var h = H(node: 2)
        h.view.term = 3
        h.view.leader = 3
        h.view.topology = Topology(primary: 1, term: 2, timeline: 1, branch: 1, systemIdentifier: 42)
        h.server = H.running(standby: true, position: 80, from: 1)
        #expect(operations(h.show()) == [.follow(upstream: 3)])
        // Its WAL receiver still streams from the old primary: no report yet.
        #expect(writes(h.performed(.follow(upstream: 3))).isEmpty)
        h.server = H.running(standby: true, position: 80, from: 3)
        #expect(writes(h.show()) == [.report(H.report(2, term: 3, position: 80))])
    }

    @Test("a former primary rejoins by rewind only to the primary chosen in this term, and is cloned anew when rewind fails")
    func rejoin() {
        var h = H(node: 3)
        h.view.term = 6
        h.view.leader = 1
        h.view.topology = Topology(primary: 1, term: 5, timeline: 2, branch: 5, systemIdentifier: 42)
        h.server = H.stopped(standby: false)
        #expect(operations(h.show()) == [.start(standby: false, upstream: nil)], "a record of an earlier term may be stale: start fenced and report")
        h.view.topology = Topology(primary: 1, term: 6, timeline: 2, branch: 5, systemIdentifier: 42)
        h.core = BridgeCore(settings: h.core.settings)
        #expect(operations(h.show()) == [.rewind(from: 1)])
        #expect(operations(h.performed(.rewind(from: 1), failure: "could not find common ancestor")) == [.reclone(from: 1)])
    }

    @Test("a standby streaming from the new primary takes its branch only once it holds the WAL the branch began at")
    func branchMarkWaitsForTheBranchStart() {
        var h = H(node: 2)
        h.view.term = 6
        h.view.leader = 1
        h.view.topology = Topology(primary: 1, term: 6, timeline: 2, branch: 6, systemIdentifier: 42, branchStart: WALPosition(500), parentBranch: 1)
        h.server = H.running(standby: true, position: 300, from: 1, branch: 1)
        h.pointed(at: 1)
        #expect(!operations(h.show()).contains(.markBranch(6)), "behind the branch start it is still only a prefix of branch 1")
        h.server = H.running(standby: true, position: 500, from: 1, branch: 1)
        #expect(operations(h.show()) == [.markBranch(6)])
    }

    @Test("a standby that does not stream is rewound after the start timeout when the record cannot show its WAL is a prefix of the primary's, else only after four")
    func notStreamingRewindsOnlyWhenItMayHaveDiverged() {
        func standby(branch: UInt64, position: UInt64) -> H {
            var h = H(node: 2)
            h.view.term = 6
            h.view.leader = 1
            h.view.topology = Topology(primary: 1, term: 6, timeline: 2, branch: 6, systemIdentifier: 42, branchStart: WALPosition(500), parentBranch: 4)
            h.server = H.running(standby: true, position: position, branch: branch)
            h.pointed(at: 1)
            return h
        }
        for (branch, position) in [(UInt64(6), UInt64(900)), (4, 500), (4, 100)] {
            var prefix = standby(branch: branch, position: position)
            prefix.show()
            #expect(!operations(prefix.show(after: 6_000)).contains(.stop), "branch \(branch) at \(position) waits")
            // Much longer all the same (a mark that never moved can make a fork look like a prefix).
            #expect(operations(prefix.show(after: 14_000)) == [.stop], "branch \(branch) at \(position) is rewound after four start timeouts")
        }
        for (branch, position) in [(UInt64(4), UInt64(501)), (3, 100)] {
            var diverged = standby(branch: branch, position: position)
            diverged.show()
            #expect(operations(diverged.show(after: 6_000)) == [.stop], "branch \(branch) at \(position) is rewound")
        }
    }

    @Test("a standby that has not replayed the WAL on its disk reports no position yet, leader or follower")
    func noReportBeforeTheWALIsReplayed() throws {
        var follower = H(node: 2)
        follower.view.term = 3
        follower.view.leader = 3
        follower.view.topology = Topology(primary: 1, term: 2, timeline: 1, branch: 1, systemIdentifier: 42)
        follower.server = H.running(standby: true, position: 80)
        follower.server.running?.walExhausted = false
        follower.pointed(at: 3)
        #expect(writes(follower.show()).isEmpty)
        follower.server.running?.walExhausted = true
        #expect(writes(follower.show()) == [.report(H.report(2, term: 3, position: 80))])

        var leader = Self.newLeader(reports: [])
        #expect(operations(leader.show()) == [.follow(upstream: nil)])
        leader.server = H.running(standby: true, position: 100)
        leader.server.running?.walExhausted = false
        #expect(writes(leader.performed(.follow(upstream: nil))).isEmpty)
        leader.server.running?.walExhausted = true
        #expect(writes(leader.show()).count == 1)
    }

    @Test("a leader whose server does not start hands leadership over after the start timeout")
    func leaderWhoseServerDoesNotStartHandsOver() {
        var h = H()
        h.view.term = 5
        h.view.leader = 1
        h.view.topology = Topology(primary: 3, term: 4, timeline: 1, branch: 1, systemIdentifier: 42)
        h.view.reports[2] = H.report(2, term: 5, position: 90)
        h.server = H.stopped(standby: true)
        #expect(operations(h.show()) == [.start(standby: true, upstream: nil)])
        #expect(transfers(h.performed(.start(standby: true, upstream: nil), failure: "the server did not accept connections")).isEmpty)
        #expect(transfers(h.show(after: 5_000)) == [2])
    }

    @Test("a data directory of another database system is refused, never started, and its leader hands over")
    func foreignDirectory() {
        var h = H()
        h.view.leader = 1
        h.view.topology = Topology(primary: 2, term: 1, timeline: 1, branch: 1, systemIdentifier: 42)
        h.server = H.stopped(standby: true, system: 7)
        let actions = h.show()
        #expect(operations(actions).isEmpty)
        #expect(transfers(actions).count == 1)
        let status = published(actions).last
        #expect(status?.role == .refused && status?.detail.contains("system identifier 7") == true)
    }
}

@Suite("synchronous standby names")
struct SynchronousStandbysTests {
    @Test("quorum: the primary and k standbys are a majority of the voters; learners are named and raise k")
    func quorum() {
        #expect(SynchronousStandbys.value(mode: .quorum, node: 1, voters: [1, 2, 3], members: [1, 2, 3]) == "ANY 1 (pgraft_node_2, pgraft_node_3)")
        #expect(
            SynchronousStandbys.value(mode: .quorum, node: 2, voters: [1, 2, 3, 4, 5], members: [1, 2, 3, 4, 5])
                == "ANY 2 (pgraft_node_1, pgraft_node_3, pgraft_node_4, pgraft_node_5)")
        #expect(
            SynchronousStandbys.value(mode: .quorum, node: 1, voters: [1, 2, 3], members: [1, 2, 3, 4])
                == "ANY 2 (pgraft_node_2, pgraft_node_3, pgraft_node_4)")
        #expect(SynchronousStandbys.value(mode: .quorum, node: 1, voters: [1], members: [1]) == "")
    }

    @Test("strict needs every other member; off is asynchronous")
    func strictAndOff() {
        #expect(SynchronousStandbys.value(mode: .strict, node: 1, voters: [1, 2, 3], members: [1, 2, 3]) == "ANY 2 (pgraft_node_2, pgraft_node_3)")
        #expect(SynchronousStandbys.value(mode: .off, node: 1, voters: [1, 2, 3], members: [1, 2, 3]) == "")
    }
}

@Suite("records and positions")
struct BridgeRecordTests {
    @Test("records read back what they wrote, and anything else is no record")
    func roundTrip() {
        let t = Topology(primary: 2, term: 7, timeline: 3, branch: 6, systemIdentifier: 7_312_078_226_453_216_361)
        #expect(
            String(decoding: t.encoded, as: UTF8.self) == "primary=2 term=7 timeline=3 branch=6 system_identifier=7312078226453216361 start=0/0 parent=0")
        #expect(Topology(encoded: t.encoded) == t)
        let branched = Topology(primary: 2, term: 7, timeline: 3, branch: 6, systemIdentifier: 1, branchStart: WALPosition(0x3_0000_0060), parentBranch: 4)
        #expect(Topology(encoded: branched.encoded) == branched)
        // A record of the version before branch starts reads as a branch from 0/0 on no parent.
        #expect(Topology(encoded: Array("primary=2 term=7 timeline=3 branch=6 system_identifier=1".utf8)) == Topology(primary: 2, term: 7, timeline: 3, branch: 6, systemIdentifier: 1))
        #expect(Topology(encoded: Array("primary=2 term=7 timeline=3 branch=6 system_identifier=1 start=x parent=1".utf8)) == nil)
        let r = MemberReport(node: 3, term: 7, role: .standby, timeline: 3, branch: 6, position: WALPosition(0x3_0000_0060))
        #expect(MemberReport(encoded: r.encoded) == r)
        for bad in ["", "primary=2", "primary=2 primary=3 term=1 timeline=1 branch=1 system_identifier=1", "primary=x term=1 timeline=1 branch=1 system_identifier=1"] {
            #expect(Topology(encoded: Array(bad.utf8)) == nil, "\(bad)")
        }
        #expect(MemberReport(encoded: Array("node=1 term=1 role=boss timeline=1 branch=1 position=0/1".utf8)) == nil)
        let status = MemberStatus(
            node: 2, role: .standby, address: "10.0.0.2:5432", timeline: 3, flushed: WALPosition(0x60), replayed: WALPosition(0x50), upstream: 1,
            writtenAtMs: 1_765_120_000_123)
        #expect(MemberStatus(encoded: status.encoded) == status)
        #expect(MemberStatus(encoded: Array("node=2 role=standby".utf8)) == nil)
    }

    @Test("WAL positions read and print as PostgreSQL does")
    func positions() {
        #expect(WALPosition(text: "16/B374D848")?.value == 0x16_B374_D848)
        #expect(WALPosition(0x16_B374_D848).description == "16/B374D848")
        for bad in ["", "16", "16/", "/1", "G/1", "1/2/3", "123456789/1"] { #expect(WALPosition(text: bad) == nil, "\(bad)") }
        #expect(WALPosition(10).bytes(after: WALPosition(4)) == 6 && WALPosition(4).bytes(after: WALPosition(10)) == 0)
    }

    @Test("member names map to nodes and back, and nothing else does")
    func names() {
        #expect(MemberNaming.name(of: 12) == "pgraft_node_12" && MemberNaming.node(named: "pgraft_node_12") == 12)
        for bad in ["pgraft_node_", "pgraft_node_0", "pgraft_node_012", "node_1", "pgraft_fenced"] { #expect(MemberNaming.node(named: bad) == nil, "\(bad)") }
    }
}

import PGRaftNode
import Testing

@testable import RaftCore
@testable import RaftSim

@Suite("Simulator")
struct SimulatorTests {
    @Test("a few hundred seeds with every fault pass the safety, linearizability and liveness checks")
    func manySeedsPass() async {
        var o = SimOptions(seed: 0, steps: 1500)
        o.healSteps = 2500
        let summary = await SimRunner.run(seeds: 1...300, template: o, jobs: 2)
        #expect(summary.seeds == 300)
        for f in summary.failures {
            Issue.record("seed \(f.seed): \(f.violation ?? f.livenessFailure ?? "")")
        }
    }

    @Test("five-node clusters pass too")
    func fiveNodes() async {
        var o = SimOptions(seed: 0, steps: 3000, nodes: 5)
        o.healSteps = 2500
        let summary = await SimRunner.run(seeds: 1000...1040, template: o, jobs: 2)
        #expect(summary.violations == 0 && summary.livenessFailures == 0)
    }

    /// Every defect `pgraft-sim --bug NAME` takes: the core's and the node driver's, each as the
    /// options that inject it.
    /// (`send-stale-term-acks` shows only in five-node runs, about once in 300 seeds: its own test
    /// below replays seeds that catch it.)
    static let everyDefect: [(name: String, options: SimOptions)] =
        InjectedDefects.named.map { ($0.name, SimOptions(seed: 0, defects: $0.defect)) }
        + DriverDefects.named.filter { $0.defect != .sendStaleTermAcks }.map { ($0.name, SimOptions(seed: 0, driverDefects: $0.defect)) }

    @Test(
        "every injected defect, of the core or of the node driver, is caught within 500 seeds",
        arguments: everyDefect.map(\.name))
    func defectsAreCaught(name: String) async {
        let options = Self.everyDefect.first { $0.name == name }!.options
        let found = await Self.firstViolation(options, within: 500)
        #expect(found != nil, "\(name) was not caught within 500 seeds")
    }

    @Test("seeds at which an acknowledgement from a left term outlives the log it vouched for fail with that defect and pass without it")
    func staleTermAckSeeds() {
        // Found by the five-node sweep of seeds 200001..205000 (10,000 steps, all faults) before
        // NodeMachine dropped such acknowledgements. A change to the simulator's schedule moves
        // them: find new ones with `pgraft-sim --seeds A..B --nodes 5 --bug send-stale-term-acks`.
        for seed: UInt64 in [200303, 201010, 201208] {
            let clean = Simulation.run(SimOptions(seed: seed, nodes: 5))
            #expect(clean.passed, "seed \(seed): \(clean.violation ?? clean.livenessFailure ?? "")")
            let broken = Simulation.run(SimOptions(seed: seed, nodes: 5, driverDefects: .sendStaleTermAcks))
            #expect(broken.violation?.contains("durable before sent") == true, "seed \(seed) was not caught")
        }
    }

    @Test("the seeds whose reads waited on a removed node pass: it answers at once that it is not a member")
    func removedNodeSeeds() {
        // Seed 215046 (five nodes) and 125852 (three) failed the liveness check before issue 11's
        // last changes: a read went to a node removed while it was cut off, and an older read's
        // deadline timed out the new one in the round they shared.
        for (seed, nodes): (UInt64, Int) in [(215046, 5), (125852, 3)] {
            let r = Simulation.run(SimOptions(seed: seed, nodes: nodes))
            #expect(r.passed, "seed \(seed): \(r.violation ?? r.livenessFailure ?? "")")
        }
    }

    @Test("a candidate that wins its term after a later term's leader committed more is no completeness violation")
    func lateWinnerSeeds() {
        // Found by the five-node sweep of seeds 206001..212000: votes granted in term T arrive after
        // the voters moved to T + 1, whose leader has committed an entry of T + 1 meanwhile. The
        // check asks a leader only for the entries committed in an earlier term (§3.6.3).
        for seed: UInt64 in [209212, 209935] {
            let r = Simulation.run(SimOptions(seed: seed, nodes: 5))
            #expect(r.passed, "seed \(seed): \(r.violation ?? r.livenessFailure ?? "")")
        }
    }

    /// The first run among seeds 1...`limit` (tried ten at a time) that breaks a safety check.
    static func firstViolation(_ template: SimOptions, within limit: UInt64) async -> SimResult? {
        var lo: UInt64 = 1
        while lo <= limit {
            let summary = await SimRunner.run(seeds: lo...(lo + 9), template: template, jobs: 2)
            if let hit = summary.failures.first(where: { $0.violation != nil }) { return hit }
            lo += 10
        }
        return nil
    }

    @Test("seeds at which a leader acts before its term is durable fail with that defect and pass without it")
    func durableTermSeeds() {
        // Found with `pgraft-sim --seeds 1..600 --bug lead-before-durable-term`. A change to the
        // simulator's schedule (or to Raft's timing, as check-quorum's was) moves them: find new
        // ones the same way.
        for seed: UInt64 in [205, 430] {
            let broken = Simulation.run(SimOptions(seed: seed, defects: .leadBeforeDurableTerm))
            #expect(broken.violation != nil, "seed \(seed) no longer exposes lead-before-durable-term")
            let fixed = Simulation.run(SimOptions(seed: seed))
            #expect(fixed.passed, "seed \(seed): \(fixed.violation ?? fixed.livenessFailure ?? "")")
        }
    }

    @Test("the seeds issue 10 named pass (the schedule they replay has changed since with slow disks)")
    func issueTenSeeds() {
        for seed: UInt64 in [20843, 20953, 44061] {
            let r = Simulation.run(SimOptions(seed: seed))
            #expect(r.passed, "seed \(seed): \(r.violation ?? r.livenessFailure ?? "")")
        }
    }

    @Test("a leader that acts before its term is durable is named by the durable-term check")
    func leadBeforeDurableTermIsNamed() async {
        let o = SimOptions(seed: 0, defects: .leadBeforeDurableTerm)
        // A range holding two of the seeds that expose it (see durableTermSeeds).
        let summary = await SimRunner.run(seeds: 201...440, template: o, jobs: 2)
        let named = summary.failures.compactMap(\.violation).filter { $0.contains("durable term went backwards") }
        #expect(!named.isEmpty, "violations: \(summary.failures.compactMap(\.violation))")
    }

    @Test("log matching across time: one index and term never names two entries, on any node")
    func entryCheckerCanFail() {
        var c = SafetyChecker()
        let a = Entry(term: 12, index: 116, data: Array("client 5".utf8))
        let b = Entry(term: 12, index: 116, data: Array("client 4".utf8))
        #expect(c.checkEntries(node: 3, [a], "appends") == nil)
        #expect(c.checkEntries(node: 1, [a], "appends") == nil)
        #expect(c.checkEntries(node: 3, [Entry(term: 13, index: 116)], "appends") == nil)
        let v = c.checkEntries(node: 3, [b], "appends")
        #expect(v?.hasPrefix("log matching: node 3 appends index 116 term 12") == true)
    }

    @Test("a node that restarts below a term it led or voted in is flagged")
    func durableTermCheckerCanFail() {
        var c = SafetyChecker()
        c.noteActed(node: 3, term: 12, role: "leader")
        c.noteActed(node: 3, term: 11, role: "voter")
        #expect(c.checkRestart(node: 3, durableTerm: 12) == nil)
        #expect(c.checkRestart(node: 2, durableTerm: 1) == nil)
        #expect(
            c.checkRestart(node: 3, durableTerm: 11)
                == "durable term went backwards: node 3 restarted at term 11 after acting as leader in term 12")
        c.noteActed(node: 2, term: 5, role: "voter")
        #expect(c.checkRestart(node: 2, durableTerm: 4)?.contains("as voter in term 5") == true)
    }

    @Test("a seed replays identically")
    func replay() {
        var o = SimOptions(seed: 4242, steps: 3000)
        o.trace = true
        let a = Simulation.run(o)
        let b = Simulation.run(o)
        #expect(a.digest == b.digest)
        #expect(a.trace == b.trace)
        #expect(a.trace.count > 100)
        var other = o
        other.seed = 4243
        #expect(Simulation.run(other).digest != a.digest)
    }

    @Test("the linearizability checker rejects a stale read and a lost acknowledged write")
    func linearizabilityCheckerCanFail() {
        var lin = LinearizabilityChecker()
        _ = lin.record(revision: 1, key: "k", value: [1])
        _ = lin.record(revision: 2, key: "k", value: [2])
        var h: [HistoryOp] = []
        var w1 = HistoryOp(client: 0, kind: .put(key: "k", value: [1]), invoke: 0)
        w1.response = 5
        w1.outcome = .wrote(revision: 1)
        var w2 = HistoryOp(client: 0, kind: .put(key: "k", value: [2]), invoke: 10)
        w2.response = 15
        w2.outcome = .wrote(revision: 2)
        h = [w1, w2]
        #expect(lin.check(h) == nil)
        // A read that starts after w2 completed but sees w1's value.
        var stale = HistoryOp(client: 1, kind: .read(key: "k"), invoke: 20)
        stale.response = 25
        stale.outcome = .observed(point: 1, value: [1], modRevision: 1)
        #expect(lin.check(h + [stale]) != nil)
        // A read that claims a value the revision record does not hold at its point.
        var wrong = HistoryOp(client: 1, kind: .read(key: "k"), invoke: 20)
        wrong.response = 25
        wrong.outcome = .observed(point: 2, value: [1], modRevision: 1)
        #expect(lin.check(h + [wrong]) != nil)
        // Writes acknowledged in the wrong real-time order.
        var early = HistoryOp(client: 0, kind: .put(key: "k", value: [2]), invoke: 0)
        early.response = 3
        early.outcome = .wrote(revision: 2)
        var late = HistoryOp(client: 1, kind: .put(key: "k", value: [1]), invoke: 6)
        late.response = 8
        late.outcome = .wrote(revision: 1)
        #expect(lin.check([early, late]) != nil)
    }

    @Test("the safety checker flags two leaders in one term and a changed committed entry")
    func safetyCheckerCanFail() {
        var c = SafetyChecker()
        var a = RawNode(config: RaftConfig(id: 1), state: .bootstrap(voters: [1]))
        a.campaign()
        let rd = a.ready()
        a.advance(rd)
        #expect(a.isLeader)
        #expect(c.checkElection(node: a.id, term: a.term) == nil)
        c.leaderOfTerm[a.term] = 2
        #expect(c.checkElection(node: a.id, term: a.term) != nil)
        #expect(c.checkApplied(node: 1, Entry(term: 2, index: 5)) == nil)
        #expect(c.checkApplied(node: 2, Entry(term: 3, index: 5)) != nil)
    }
}

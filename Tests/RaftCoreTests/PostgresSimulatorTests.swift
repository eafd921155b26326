import PGRaftBridge
import Testing

@testable import RaftSim

/// `pgraft-sim --postgres`: every node's simulated PostgreSQL server driven by the bridge core,
/// under every fault, with the failover checks after every step.
@Suite("Simulator with PostgreSQL")
struct PostgresSimulatorTests {
    static func options(nodes: Int = 3, steps: Int = 3000, defects: BridgeDefects = []) -> SimOptions {
        var o = SimOptions(seed: 0, steps: steps, nodes: nodes, postgres: true, bridgeDefects: defects)
        o.healSteps = 3000
        return o
    }

    @Test("three-node seeds under every fault keep one acknowledging primary, lose no acknowledged commit, fence in time, and end with a writable primary")
    func threeNodes() async {
        let summary = await SimRunner.run(seeds: 1...40, template: Self.options(), jobs: 2)
        #expect(summary.seeds == 40)
        for f in summary.failures { Issue.record("seed \(f.seed): \(f.violation ?? f.livenessFailure ?? "")") }
    }

    @Test("five-node seeds pass too")
    func fiveNodes() async {
        let summary = await SimRunner.run(seeds: 2000...2009, template: Self.options(nodes: 5), jobs: 2)
        for f in summary.failures { Issue.record("seed \(f.seed): \(f.violation ?? f.livenessFailure ?? "")") }
    }

    /// What the check that catches each bridge defect says.
    static let caughtBy: [String: String] = [
        "promote-without-position-check": "promoted without commit",
        "no-fencing": "takes writes",
        "async-after-promotion": "(a majority could miss it)",
        "promote-before-topology-commit": "before the topology naming it",
    ]

    @Test("every injected bridge defect is caught within 500 seeds, by the check made for it", arguments: BridgeDefects.named.map(\.name))
    func defectsAreCaught(name: String) async throws {
        let defect = try #require(BridgeDefects.named.first { $0.name == name }).defect
        var lo: UInt64 = 1
        var found: SimResult?
        while lo <= 500, found == nil {
            let summary = await SimRunner.run(seeds: lo...(lo + 9), template: Self.options(steps: 10_000, defects: defect), jobs: 2)
            found = summary.failures.first { $0.violation != nil }
            lo += 10
        }
        let violation = try #require(found?.violation, "\(name) was not caught within 500 seeds")
        #expect(violation.contains(try #require(Self.caughtBy[name])), "\(name) caught as: \(violation)")
    }
}

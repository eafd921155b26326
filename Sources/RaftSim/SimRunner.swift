import PGRaftBridge
import PGRaftNode
import RaftCore

/// Runs ranges of seeds and formats the command-line report.
public enum SimRunner {
    /// The summary of a range of runs.
    public struct Summary: Sendable {
        /// The runs that failed, in seed order.
        public var failures: [SimResult] = []
        /// Seeds run.
        public var seeds = 0
        /// Runs with a safety violation.
        public var violations = 0
        /// Runs with a liveness failure.
        public var livenessFailures = 0
    }

    /// Runs `seeds` with `template` (its seed replaced), `jobs` at a time.
    public static func run(seeds: ClosedRange<UInt64>, template: SimOptions, jobs: Int = 1) async -> Summary {
        var summary = Summary()
        let all = Array(seeds)
        var results: [SimResult] = []
        if jobs <= 1 {
            for s in all {
                var o = template
                o.seed = s
                results.append(Simulation.run(o))
            }
        } else {
            results = await withTaskGroup(of: [SimResult].self) { group in
                for j in 0..<jobs {
                    group.addTask { await runSlice(all, start: j, stride: jobs, template: template) }
                }
                var merged: [SimResult] = []
                for await part in group { merged.append(contentsOf: part) }
                return merged.sorted { $0.seed < $1.seed }
            }
        }
        for r in results {
            summary.seeds += 1
            if r.violation != nil { summary.violations += 1 }
            if r.livenessFailure != nil { summary.livenessFailures += 1 }
            if !r.passed { summary.failures.append(r) }
        }
        return summary
    }

    /// Runs every `stride`-th seed of `seeds` from `start`, off the caller's actor.
    @concurrent
    static func runSlice(_ seeds: [UInt64], start: Int, stride: Int, template: SimOptions) async -> [SimResult] {
        var out: [SimResult] = []
        var k = start
        while k < seeds.count {
            var o = template
            o.seed = seeds[k]
            out.append(Simulation.run(o))
            k += stride
        }
        return out
    }

    /// The command that replays one seed with its trace.
    public static func replayCommand(seed: UInt64, template: SimOptions) -> String {
        var s = "pgraft-sim --seed \(seed) --steps \(template.steps) --nodes \(template.nodes)"
        s += " --faults \(faultList(template.faults))"
        for (name, d) in InjectedDefects.named where template.defects.contains(d) { s += " --bug \(name)" }
        for (name, d) in DriverDefects.named where template.driverDefects.contains(d) { s += " --bug \(name)" }
        if template.postgres { s += " --postgres" }
        for (name, d) in BridgeDefects.named where template.bridgeDefects.contains(d) { s += " --bug \(name)" }
        return s + " --trace"
    }

    /// The comma-separated names of `faults` (`all` if every fault).
    public static func faultList(_ faults: Set<SimFault>) -> String {
        if faults.count == SimFault.allCases.count { return "all" }
        if faults.isEmpty { return "none" }
        return SimFault.allCases.filter { faults.contains($0) }.map(\.rawValue).joined(separator: ",")
    }
}

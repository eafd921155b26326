// pgraft-sim: deterministic fault-injection simulator for the node machine and RaftCore (see RaftSim).
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import PGRaftBridge
import PGRaftNode
import RaftCore
import RaftSim

let usage = """
    usage: pgraft-sim --seeds A..B [--steps S] [--nodes N] [--faults LIST] [--postgres] [--bug NAME] [--jobs J]
           pgraft-sim --seed K [--steps S] [--nodes N] [--faults LIST] [--postgres] [--bug NAME] [--trace]
      LIST: all, none, or a comma-separated subset of \(SimFault.allCases.map(\.rawValue).joined(separator: ","))
      NAME: a defect of the core: \(InjectedDefects.named.map(\.name).joined(separator: ", "))
            or of the node driver: \(DriverDefects.named.map(\.name).joined(separator: ", "))
            or of the bridge (with --postgres): \(BridgeDefects.named.map(\.name).joined(separator: ", "))
      --postgres gives every node a simulated PostgreSQL server driven by the bridge core, database
      clients, and the failover checks.
      A step is one virtual millisecond (default 10000); a healed phase of 4000 steps follows for
      the liveness check. --jobs runs seeds on J threads. Exit status 0 only without violations
      and liveness failures.
    """

func die(_ message: String) -> Never {
    print("pgraft-sim: \(message)\n\(usage)")
    exit(2)
}

var seeds: ClosedRange<UInt64>?
var template = SimOptions(seed: 0)
var trace = false
var jobs = 1
var args = CommandLine.arguments.dropFirst()
@MainActor func value(_ flag: String) -> String {
    guard let v = args.popFirst() else { die("\(flag) needs a value") }
    return v
}
while let a = args.popFirst() {
    switch a {
    case "--seeds":
        let v = value(a)
        let parts = v.split(separator: ".", omittingEmptySubsequences: true)
        guard v.contains(".."), parts.count == 2, let lo = UInt64(parts[0]), let hi = UInt64(parts[1]), lo <= hi else {
            die("--seeds takes A..B")
        }
        seeds = lo...hi
    case "--seed":
        guard let k = UInt64(value(a)) else { die("--seed takes a number") }
        seeds = k...k
    case "--steps":
        guard let s = Int(value(a)), s > 0 else { die("--steps takes a positive number") }
        template.steps = s
    case "--nodes":
        guard let n = Int(value(a)), n >= 1, n <= 9 else { die("--nodes takes 1...9") }
        template.nodes = n
    case "--faults":
        guard let f = SimFault.parseList(value(a)) else { die("unknown fault in --faults") }
        template.faults = f
    case "--bug":
        let name = value(a)
        if let d = InjectedDefects.named.first(where: { $0.name == name }) {
            template.defects.insert(d.defect)
        } else if let d = DriverDefects.named.first(where: { $0.name == name }) {
            template.driverDefects.insert(d.defect)
        } else if let d = BridgeDefects.named.first(where: { $0.name == name }) {
            template.bridgeDefects.insert(d.defect)
        } else {
            die("unknown bug \(name)")
        }
    case "--trace":
        trace = true
    case "--postgres":
        template.postgres = true
    case "--jobs":
        guard let j = Int(value(a)), j >= 1 else { die("--jobs takes a positive number") }
        jobs = j
    case "-h", "--help":
        print(usage)
        exit(0)
    default:
        die("unknown argument \(a)")
    }
}
guard let seeds else { die("--seeds or --seed is required") }

if trace {
    var o = template
    o.seed = seeds.lowerBound
    o.trace = true
    let r = Simulation.run(o)
    for line in r.trace { print(line) }
    if let v = r.violation { print("violation: \(v)") }
    if let l = r.livenessFailure { print("liveness failure: \(l)") }
    print("seed=\(r.seed) digest=\(String(r.digest, radix: 16)) ops=\(r.completedOps) leaders=\(r.elections) commit=\(r.commitIndex)")
    print("seeds=1 steps=\(o.steps) violations=\(r.violation == nil ? 0 : 1) liveness_failures=\(r.livenessFailure == nil ? 0 : 1)")
    exit(r.passed ? 0 : 1)
}

let summary = await SimRunner.run(seeds: seeds, template: template, jobs: jobs)
for r in summary.failures {
    let what = r.violation.map { "violation: \($0)" } ?? "liveness: \(r.livenessFailure ?? "")"
    print("seed=\(r.seed) \(what)  replay: \(SimRunner.replayCommand(seed: r.seed, template: template))")
}
print("seeds=\(summary.seeds) steps=\(template.steps) violations=\(summary.violations) liveness_failures=\(summary.livenessFailures)")
exit(summary.violations == 0 && summary.livenessFailures == 0 ? 0 : 1)

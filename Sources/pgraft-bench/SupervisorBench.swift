import ArgumentParser
import CShims
import Foundation
import PGRaftBenchCore
import PGRaftKit
import PGRaftTestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `pgraft-bench supervisor`: kill -9 components of a real node and time their return to RUNNING;
/// report the node's total resident memory.
struct SupervisorBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervisor",
        abstract: "Kill components of a live node N times; report kill-to-RUNNING p50/p99 and the node's RSS.")

    @Option(help: "How many kills.")
    var kills = 50

    @Option(help: "Component to kill (default: each built-in in turn).")
    var component: String?

    func run() throws {
        // backoff_reset_ms is short so that every kill measures a first restart, which the target is about.
        let sandbox = try NodeSandbox(supervisor: [
            "restart_intensity": "\(kills * 2 + 10)", "restart_period_s": "60", "backoff_reset_ms": "50",
        ])
        defer { sandbox.cleanUp() }
        try sandbox.start()
        guard sandbox.waitAllRunning(timeout: 60), let initial = sandbox.status() else {
            throw ValidationError("the node did not come up:\n\(sandbox.supervisorOutput)")
        }
        let config = try NodeConfig.load(path: sandbox.configPath)
        let segment = try SharedSegment.attach(name: config.segmentName)
        let rssBefore = Self.nodeRSS(initial)
        let names = component.map { [$0] } ?? initial.components.map(\.name)
        var latencies: [Double] = []
        for round in 0..<kills {
            let name = names[round % names.count]
            guard let index = segment.componentIndex(named: name) else { throw ValidationError("no component \(name)") }
            let slot = segment.componentSlot(at: index)
            let pid = slot.pid
            let start = pgr_monotonic_ms()
            let startNs = DispatchTime.now().uptimeNanoseconds
            kill(pid, SIGKILL)
            while !(slot.state == .running && slot.pid != pid) {
                if pgr_monotonic_ms() - start > 10_000 {
                    throw ValidationError("\(name) not RUNNING 10 s after kill \(round + 1)")
                }
                usleep(200)
            }
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - startNs) / 1e6)
            // Let the component count as healthy again (backoff_reset_ms) before the next kill.
            usleep(100_000)
        }
        guard let final = sandbox.status() else { throw ValidationError("the node stopped answering") }
        let sorted = latencies.sorted()
        print("supervisor benchmark: \(kills) kill -9 of \(names.joined(separator: ", ")), node restarted each time")
        print("| metric | value |")
        print("| --- | --- |")
        print(String(format: "| kill → RUNNING p50 | %.1f ms |", percentile(sorted, 50)))
        print(String(format: "| kill → RUNNING p99 | %.1f ms |", percentile(sorted, 99)))
        print(String(format: "| kill → RUNNING max | %.1f ms |", sorted.last ?? 0))
        let processes = [(final.supervisorPid, "pgraftd")] + final.components.compactMap { c in c.pid.map { ($0, c.name) } }
        let memory = processes.map { MemoryUse(pid: $0.0) }
        print(String(format: "| node RSS, sum over pgraftd + %d components | %.1f MiB (before the kills: %.1f MiB) |", final.components.count, memory.map(\.rss).reduce(0, +), rssBefore))
        print(String(format: "| node PSS, sum (shared pages split between the processes that map them) | %.1f MiB |", memory.map(\.pss).reduce(0, +)))
        print(String(format: "| node private memory, sum | %.1f MiB |", memory.map(\.private).reduce(0, +)))
        for ((_, name), use) in zip(processes, memory) {
            print("| \(name): RSS / PSS / private | " + String(format: "%.1f / %.1f / %.1f MiB |", use.rss, use.pss, use.private))
        }
    }

    /// Resident memory of the supervisor and every component, summed, MiB.
    static func nodeRSS(_ status: NodeStatus) -> Double {
        ([status.supervisorPid] + status.components.compactMap(\.pid)).map { MemoryUse(pid: $0).rss }.reduce(0, +)
    }
}

/// One process's memory from /proc/PID/smaps_rollup, in MiB.
///
/// RSS counts every resident page the process maps, so the Swift runtime and Foundation pages that
/// six processes share are counted six times in a sum of RSS; PSS splits each shared page between
/// the processes that map it, so a sum of PSS is what the node really costs.
struct MemoryUse {
    /// Resident set size.
    var rss: Double = 0
    /// Proportional set size.
    var pss: Double = 0
    /// Pages no other process maps (private clean + private dirty).
    var `private`: Double = 0

    init(pid: Int32) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kb = Double(fields[1]) else { continue }
            switch fields[0] {
            case "Rss:": rss = kb / 1024
            case "Pss:": pss = kb / 1024
            case "Private_Clean:", "Private_Dirty:": self.private += kb / 1024
            default: break
            }
        }
    }
}

import ArgumentParser
import CShims
import Foundation
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
        let sandbox = try NodeSandbox(
            extra: """
                supervisor:
                  restart_intensity: \(kills * 2 + 10)
                  restart_period_s: 60
                  backoff_reset_ms: 50
                """)
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
        print(String(format: "| node RSS before (supervisor + %d components) | %.1f MiB |", initial.components.count, rssBefore))
        print(String(format: "| node RSS after | %.1f MiB |", Self.nodeRSS(final)))
        for (pid, name) in [(final.supervisorPid, "pgraftd")] + final.components.compactMap({ c in c.pid.map { ($0, c.name) } }) {
            print("|   \(name) RSS | " + String(format: "%.1f MiB |", Self.rss(pid)))
        }
    }

    /// Resident memory of the supervisor and every component, MiB.
    static func nodeRSS(_ status: NodeStatus) -> Double {
        ([status.supervisorPid] + status.components.compactMap(\.pid)).map(rss).reduce(0, +)
    }

    /// VmRSS of `pid` in MiB, from /proc.
    static func rss(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        let kb = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kb / 1024
    }
}

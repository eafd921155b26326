import ArgumentParser
import Foundation
import PGRaftKit
import PGRaftTestSupport
import RaftSim

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `pgraft-bench soak`: a real cluster under a mixed key-value load from many clients while a
/// seeded chaos schedule kills components and whole nodes, freezes nodes and (where network
/// namespaces can be made) partitions them, one fault at a time so a majority stays. At the end the
/// history must be linearizable and every acknowledged write still readable; the memory and the
/// open descriptors of every node's processes at the start and at the end show whether anything
/// grows.
struct SoakBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Chaos under load for --minutes; check the history, report operations, faults, RSS and descriptors.")

    @Option(help: "How long the chaos lasts, in minutes.")
    var minutes = 60.0

    @Option(help: "The chaos schedule's seed.")
    var seed: UInt64 = 1

    @Option(help: "Concurrent clients.")
    var clients = 16

    @Option(help: "Nodes in the cluster (3 or 5).")
    var nodes = 3

    @Flag(help: "Run on loopback even where network namespaces can be made (no partitions then).")
    var loopback = false

    func validate() throws {
        guard minutes > 0 else { throw ValidationError("--minutes must be more than 0") }
        guard [3, 5].contains(nodes) else { throw ValidationError("--nodes must be 3 or 5") }
        guard (1...256).contains(clients) else { throw ValidationError("--clients must be 1 … 256") }
    }

    /// One kind of fault.
    enum Fault: String, CaseIterable {
        case killComponent = "component killed"
        case killNode = "node killed"
        case freezeNode = "node frozen"
        case partition = "node partitioned"
    }

    func run() throws {
        let lab = loopback || NetworkLab.unavailableReason != nil ? nil : try NetworkLab(nodes: nodes)
        defer { lab?.remove() }
        if lab == nil { print("soak: on loopback (\(loopback ? "--loopback" : NetworkLab.unavailableReason ?? "")): no partitions") }
        let cluster = try ClusterSandbox(size: nodes, heartbeatMs: 100, electionTimeoutMs: 1000, network: lab)
        defer { cluster.cleanUp() }
        try cluster.start()
        guard cluster.waitForLeader(timeout: 60) != nil else { throw SoakFailure("no leader") }
        let load = KVLoad(cluster: cluster, clients: clients, keys: (0..<32).map { "key\($0)" }, timeout: 10)
        load.waitForProgress(200, on: cluster.node(1), timeout: 60)
        let start = usage(cluster)
        print("soak: \(nodes) nodes, \(clients) clients, seed \(seed), \(minutes) min; at the start: \(start.text)")

        var random = SeededRandom(seed: seed)
        var counts: [Fault: Int] = [:]
        var recoveries: [Int] = []
        let kinds = lab == nil ? Fault.allCases.filter { $0 != .partition } : Fault.allCases
        let end = Date().addingTimeInterval(minutes * 60)
        while Date() < end {
            usleep(UInt32(1_000_000 + Int.random(in: 0..<3_000_000, using: &random)))
            let fault = kinds[Int.random(in: 0..<kinds.count, using: &random)]
            let victim = Int.random(in: 1...nodes, using: &random)
            let lasting = UInt32(500_000 + Int.random(in: 0..<2_500_000, using: &random))
            try inject(fault, on: victim, lasting: lasting, cluster: cluster, lab: lab, random: &random)
            counts[fault, default: 0] += 1
            let healed = DispatchTime.now().uptimeNanoseconds
            guard cluster.waitForLeader(timeout: 60) != nil else { throw SoakFailure("no leader within 60 s after \(fault.rawValue) on node \(victim)") }
            recoveries.append(Int((DispatchTime.now().uptimeNanoseconds - healed) / 1_000_000))
        }
        // Let the cluster settle, then stop the load and check what it saw.
        guard let leader = cluster.waitForLeader(timeout: 60) else { throw SoakFailure("no leader at the end") }
        load.waitForProgress(200, on: cluster.node(leader), timeout: 60)
        let history = load.stop()
        let finish = usage(cluster)
        let verdict = KVLoad.verdict(history, absentReads: load.recorder.absentReads)
        let lost = try KVLoad.lostWrites(history, cluster: cluster, node: leader)
        let sortedRecoveries = recoveries.sorted()
        print("soak: \(history.count) operations: \(verdict.writes) writes and \(verdict.reads) reads acknowledged, \(verdict.unknown) unknown outcomes, \(verdict.failed) refused")
        print("soak: \(recoveries.count) faults: " + Fault.allCases.compactMap { fault in counts[fault].map { "\($0) \(fault.rawValue)" } }.joined(separator: ", "))
        if let last = sortedRecoveries.last {
            print("soak: one leader again after a fault ended: p50 \(sortedRecoveries[sortedRecoveries.count / 2]) ms, max \(last) ms")
        }
        print("soak: at the end: \(finish.text)")
        for problem in verdict.problems + lost { print("soak: VIOLATION: \(problem)") }
        guard verdict.problems.isEmpty && lost.isEmpty else { throw ExitCode(1) }
        print("soak: the history is linearizable and no acknowledged write is lost")
    }

    /// Makes `fault` on node `victim` for `lasting` µs, and ends it.
    private func inject(_ fault: Fault, on victim: Int, lasting: UInt32, cluster: ClusterSandbox, lab: NetworkLab?, random: inout SeededRandom) throws {
        switch fault {
        case .killComponent:
            let names = ["consensus", "transport", "storage", "api"]
            let name = names[Int.random(in: 0..<names.count, using: &random)]
            if let pid = cluster.pid(of: name, on: victim) {
                kill(pid, SIGKILL)
                cluster.node(victim).waitUntil(timeout: 30) { cluster.node(victim).component(name).map { $0.state == "RUNNING" && $0.pid != pid } ?? false }
            }
        case .killNode:
            cluster.killNode(victim)
            usleep(lasting)
            try cluster.node(victim).start()
            // The next fault may hit another node: this one must be back first, or the majority is lost.
            guard cluster.node(victim).waitAllRunning(timeout: 60) else { throw SoakFailure("node \(victim) did not come back within 60 s") }
        case .freezeNode:
            let pids = processes(of: cluster.node(victim))
            for pid in pids { kill(pid, SIGSTOP) }
            usleep(min(lasting, 2_000_000))  // below the supervisor's watchdog
            for pid in pids { kill(pid, SIGCONT) }
        case .partition:
            guard let lab else { return }
            try lab.isolate(victim)
            usleep(lasting)
            try lab.heal()
        }
    }

    /// pgraftd and its components.
    private func processes(of node: NodeSandbox) -> [Int32] {
        (node.process.map { [$0.pid] } ?? []) + (node.status()?.components.compactMap(\.pid) ?? [])
    }

    /// Resident memory and open descriptors of every node's processes.
    private struct Usage {
        var rssMiB: [Double] = []
        var descriptors: [Int] = []
        var text: String {
            zip(rssMiB, descriptors).enumerated().map { "node \($0.offset + 1) RSS \(String(format: "%.1f", $0.element.0)) MiB, \($0.element.1) fds" }
                .joined(separator: "; ")
        }
    }

    private func usage(_ cluster: ClusterSandbox) -> Usage {
        var usage = Usage()
        for node in cluster.nodes {
            var rss = 0.0
            var fds = 0
            for pid in processes(of: node) {
                if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                    let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                    let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
                {
                    rss += kb / 1024
                }
                fds += (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
            }
            usage.rssMiB.append(rss)
            usage.descriptors.append(fds)
        }
        return usage
    }
}

/// A soak that could not go on (the cluster did not recover from a fault); exits with status 1.
struct SoakFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = "soak: " + description }
}

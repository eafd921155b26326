import ArgumentParser
import Foundation
import PGRaftBenchCore
import PGRaftKit
import PGRaftTestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `pgraft-bench failover`: a real three-node cluster whose leader's whole node (pgraftd and every
/// component) is killed with SIGKILL, round after round; the time from the kill until the two others
/// agree on a new leader is read from their segments. The killed node is restarted and caught up
/// before the next round.
struct FailoverBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Kill the leader's whole node N times; report the time until a new leader, against the election timeout.")

    @Option(help: "How many leader kills.")
    var rounds = 10

    @Option(help: "heartbeat_interval of the cluster, ms.")
    var heartbeat = 100

    @Option(help: "election_timeout of the cluster, ms.")
    var electionTimeout = 1000

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard heartbeat >= 1, electionTimeout >= 2 * heartbeat else {
            throw ValidationError("--election-timeout must be at least twice --heartbeat")
        }
    }

    func run() throws {
        let cluster = try ClusterSandbox(heartbeatMs: heartbeat, electionTimeoutMs: electionTimeout)
        defer { cluster.cleanUp() }
        try cluster.start()
        var times: [Double] = []
        for round in 1...rounds {
            guard let leader = cluster.waitForLeader(timeout: 30) else { throw ValidationError("no leader before round \(round)") }
            let others = (1...3).filter { $0 != leader }
            let killed = DispatchTime.now().uptimeNanoseconds
            cluster.killNode(leader)
            var newLeader: Int?
            while newLeader == nil {
                newLeader = cluster.waitForLeader(among: others, timeout: 0)
                if newLeader == nil { usleep(2_000) }
                if Double(DispatchTime.now().uptimeNanoseconds - killed) / 1e9 > 30 { throw ValidationError("no new leader within 30 s") }
            }
            let ms = Double(DispatchTime.now().uptimeNanoseconds - killed) / 1e6
            times.append(ms)
            print("round \(round): node \(leader) killed, node \(newLeader!) leads after \(String(format: "%.0f", ms)) ms")
            try cluster.node(leader).start()
            guard cluster.node(leader).waitAllRunning(timeout: 60) else { throw ValidationError("node \(leader) did not come back") }
            let commit = cluster.state(newLeader!)?.commitIndex ?? 0
            cluster.node(leader).waitUntil(timeout: 30) { (cluster.state(leader)?.appliedIndex ?? 0) >= commit }
        }
        let sorted = times.sorted()
        print("")
        print("failover after kill -9 of the leader's node, \(rounds) rounds, heartbeat \(heartbeat) ms, election timeout \(electionTimeout) ms")
        print("| metric | ms | × election timeout |")
        print("| --- | --- | --- |")
        for (name, value) in [("p50", percentile(sorted, 50)), ("max", sorted.last ?? 0)] {
            print("| \(name) | \(String(format: "%.0f", value)) | \(String(format: "%.2f", value / Double(electionTimeout))) |")
        }
        print("target: a new leader within two election timeouts (\(2 * electionTimeout) ms)")
    }
}

import Foundation
import PGRaftKit
import PGRaftTestSupport
@testable import RaftSim
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// Concurrent clients put and read a few keys on every node while nodes and consensus
    /// processes are killed and restarted; the recorded history must be linearizable.
    @Suite final class LinearizabilityTests {
        var cluster: ClusterSandbox?

        deinit { cluster?.cleanUp() }

        @Test func aConcurrentHistoryTakenWhileNodesAreKilledAndRestartedIsLinearizable() throws {
            let cluster = try ClusterSandbox()
            self.cluster = cluster
            try cluster.start()
            #expect(cluster.waitForLeader() != nil)
            let workload = KVWorkload(cluster: cluster)
            // Chaos, one node at a time so that a majority stays: kill a consensus process or a whole node.
            var random = SeededRandom(seed: 42)
            for round in 0..<4 {
                let victim = Int.random(in: 1...3, using: &random)
                if round % 2 == 0, let pid = cluster.pid(of: "consensus", on: victim) {
                    kill(pid, SIGKILL)
                    #expect(cluster.node(victim).waitUntil(timeout: 30) {
                        let now = cluster.node(victim).component("consensus")
                        return now?.state == "RUNNING" && now?.pid != pid
                    })
                } else {
                    cluster.killNode(victim)
                    try cluster.node(victim).start()
                    #expect(cluster.node(victim).waitAllRunning(timeout: 60))
                }
                #expect(cluster.waitForLeader(timeout: 20) != nil)
                // Let the clients work against the healed cluster for a moment.
                let before = workload.recorder.count
                cluster.node(1).waitUntil(timeout: 10) { workload.recorder.count >= before + 100 }
            }
            workload.check(workload.stop())
        }
    }
}

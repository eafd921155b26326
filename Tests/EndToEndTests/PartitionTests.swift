import Foundation
import PGRaftKit
import PGRaftTestSupport
@testable import RaftSim
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// Real network faults between real nodes: each node in its own network namespace, faults made
    /// with nftables (`NetworkLab`). Under each fault, clients keep writing and reading through every
    /// node; after it heals there must be one leader, no acknowledged write lost, and a linearizable
    /// history. The time to a new leader is printed (`partition …:` lines).
    @Suite(
        .serialized,
        .enabled(if: NetworkLab.unavailableReason == nil, "needs root, iproute2 and nftables to make network namespaces (NetworkLab.unavailableReason)"))
    final class PartitionTests {
        var cluster: ClusterSandbox?
        var lab: NetworkLab?

        deinit {
            cluster?.cleanUp()
            lab?.remove()
        }

        /// A running cluster of `size` nodes on a new lab network of `size + spare` hosts, a leader elected.
        func start(size: Int = 3, spare: Int = 0) throws -> (ClusterSandbox, NetworkLab, leader: Int) {
            let lab = try NetworkLab(nodes: size + spare)
            self.lab = lab
            let cluster = try ClusterSandbox(size: size, network: lab)
            self.cluster = cluster
            try cluster.start()
            let leader = try #require(cluster.waitForLeader(timeout: 30), "no leader on the lab network:\n\(cluster.log("transport", on: 1))")
            return (cluster, lab, leader)
        }

        /// Milliseconds from `start` until the nodes in `among` agree on a leader other than `old`, or nil.
        func newLeader(_ cluster: ClusterSandbox, among: [Int], other old: Int, since start: UInt64) -> (leader: Int, ms: Int)? {
            var found: Int?
            cluster.node(among[0]).waitUntil(timeout: 30) {
                found = cluster.waitForLeader(among: among, timeout: 0.05)
                return found != nil && found != old
            }
            guard let found, found != old else { return nil }
            return (found, Int((DispatchTime.now().uptimeNanoseconds - start) / 1_000_000))
        }

        /// Heals everything, then checks one leader, nothing lost, a linearizable history; prints the figures.
        func healAndCheck(_ name: String, _ cluster: ClusterSandbox, _ lab: NetworkLab, _ workload: KVWorkload, recovery: String) throws {
            try lab.heal()
            let leader = try #require(cluster.waitForLeader(timeout: 30), "\(name): no single leader after healing")
            #expect(workload.waitForProgress(50, on: cluster.node(leader)), "\(name): writes did not resume after healing")
            let history = workload.stop()
            let counts = workload.check(history, minimum: 20)
            try KVWorkload.checkNothingLost(history, cluster: cluster, node: leader)
            let unknown = history.filter { if case .unknown = $0.outcome { return true } else { return false } }.count
            print("partition \(name): \(recovery); \(counts.writes) writes and \(counts.reads) reads acknowledged, \(unknown) unknown outcomes")
        }

        /// Makes `fault` on the leader of a loaded three-node cluster; the two others must elect a
        /// new leader and take writes, and after healing nothing may be lost.
        func expectLeaderReplaced(_ name: String, by fault: (NetworkLab, _ leader: Int, _ others: [Int]) throws -> Void) throws {
            let (cluster, lab, leader) = try start()
            let workload = KVWorkload(cluster: cluster)
            defer { _ = workload.stop() }
            workload.waitForProgress(50, on: cluster.node(leader))
            let others = (1...3).filter { $0 != leader }
            let cutAt = DispatchTime.now().uptimeNanoseconds
            try fault(lab, leader, others)
            let replaced = try #require(newLeader(cluster, among: others, other: leader, since: cutAt), "\(name): no new leader")
            #expect(workload.waitForProgress(30, on: cluster.node(replaced.leader)), "\(name): writes did not resume")
            try healAndCheck(name, cluster, lab, workload, recovery: "new leader after \(replaced.ms) ms")
        }

        @Test func theLeaderIsolatedIsReplacedAndRejoins() throws {
            try expectLeaderReplaced("leader isolated") { lab, leader, _ in try lab.isolate(leader) }
        }

        @Test func aLeaderTheFollowersCannotHearIsReplaced() throws {
            // One way: what the leader sends is lost; what the followers send still reaches it.
            try expectLeaderReplaced("one-way cut from the leader") { lab, leader, others in try lab.cut(from: leader, to: others) }
        }

        @Test func aFlappingLinkToTheLeaderLosesNothing() throws {
            let (cluster, lab, leader) = try start()
            let workload = KVWorkload(cluster: cluster)
            defer { _ = workload.stop() }
            workload.waitForProgress(50, on: cluster.node(leader))
            // Twenty flaps: the leader's link is cut and restored every 300 ms.
            for _ in 0..<20 {
                try lab.isolate(leader)
                usleep(300_000)
                try lab.heal()
                usleep(300_000)
            }
            let started = DispatchTime.now().uptimeNanoseconds
            let settled = try #require(cluster.waitForLeader(timeout: 30))
            let ms = Int((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)
            try healAndCheck("flapping link (20 × 300 ms)", cluster, lab, workload, recovery: "one leader (node \(settled)) \(ms) ms after the last flap")
        }

        @Test func thirtyPercentLossSlowsButNeitherSplitsNorLoses() throws {
            let (cluster, lab, leader) = try start()
            let workload = KVWorkload(cluster: cluster, timeout: 15)
            defer { _ = workload.stop() }
            workload.waitForProgress(50, on: cluster.node(leader))
            let termBefore = cluster.state(leader)?.term ?? 0
            try lab.lose(percent: 30)
            let before = workload.acknowledged
            // The fault lasts five seconds (its length is the schedule, not a wait for anything).
            usleep(5_000_000)
            let under = workload.acknowledged - before
            #expect(under > 0, "nothing was acknowledged under 30 % loss")
            let elections = (cluster.waitForLeader(timeout: 30).flatMap { cluster.state($0)?.term } ?? termBefore) - termBefore
            try healAndCheck(
                "30 % loss on every link for 5 s", cluster, lab, workload,
                recovery: "\(under / 5) operations/s acknowledged under loss, \(elections) term change(s)")
        }

        @Test func aCopyOfANodesConfigurationOnASecondHostIsRefusedAndTheMemberKeepsItsLinks() throws {
            let (cluster, lab, _) = try start(spare: 1)
            let real = cluster.node(1)
            for peer in [2, 3] {
                #expect(real.waitUntil(timeout: 20) { cluster.log("transport", on: peer).contains("peer connected") })
            }
            func links(_ peer: Int) -> Int { cluster.log("transport", on: peer).components(separatedBy: "peer connected").count - 1 }
            let linksBefore = [2, 3].map(links)
            // Node 1's file copied to host 4 without changing node_id (only the address it listens on),
            // with the same cluster secret: authentication cannot tell the copy from the member.
            let copy = try NodeSandbox(
                cluster: cluster.clusterName, nodeId: 1, listenPort: real.listenPort, apiPort: real.apiPort, extra: "",
                listenAddress: lab.address(4))
            defer { copy.cleanUp() }
            let yaml = try real.readYAML().replacingOccurrences(of: "listen_address: \(lab.address(1))", with: "listen_address: \(lab.address(4))")
            try copy.write(yaml: yaml)
            copy.host = (lab, 4)
            copy.privateSharedMemory = true
            try copy.start()
            func copyLog() -> String { (try? String(contentsOfFile: copy.directory + "/log/transport.log", encoding: .utf8)) ?? "" }
            // Both members the copy dials refuse it, naming both connections; the copy logs why.
            for peer in [2, 3] {
                #expect(real.waitUntil(timeout: 30) {
                    let log = cluster.log("transport", on: peer)
                    return log.contains("node 1 is already connected from \(lab.address(1)):") && log.contains("came from \(lab.address(4)):")
                }, "\(cluster.log("transport", on: peer))\n\(copy.supervisorOutput)")
            }
            #expect(copy.waitUntil(timeout: 20) { copyLog().contains("refused this node: node 1 is already connected") }, "\(copyLog())")
            // While the copy keeps retrying, the member's links never flap, and writes go on.
            let workload = KVWorkload(cluster: cluster)
            defer { _ = workload.stop() }
            workload.waitForProgress(100, on: real)
            for peer in [2, 3] {
                let log = cluster.log("transport", on: peer)
                #expect(!log.contains("lost peer"), "node \(peer) lost a link:\n\(log)")
            }
            #expect([2, 3].map(links) == linksBefore, "a member's link was replaced")
            workload.check(workload.stop(), minimum: 20)
            _ = copy.stop()
        }

        @Test func aMajoritySplitFromItsMinorityKeepsWorkingAndTheMinorityRejoins() throws {
            let (cluster, lab, leader) = try start(size: 5)
            let workload = KVWorkload(cluster: cluster)
            defer { _ = workload.stop() }
            workload.waitForProgress(50, on: cluster.node(leader))
            // The leader and one follower on the minority side.
            let minority = [leader, leader % 5 + 1]
            let majority = (1...5).filter { !minority.contains($0) }
            let cutAt = DispatchTime.now().uptimeNanoseconds
            try lab.split([minority, majority])
            let replaced = try #require(newLeader(cluster, among: majority, other: leader, since: cutAt), "the majority elected no leader")
            #expect(workload.waitForProgress(30, on: cluster.node(replaced.leader)), "writes did not resume on the majority")
            // Check-quorum: the cut-off leader steps down by itself, though no one can tell it of the new term.
            #expect(cluster.node(leader).waitUntil(timeout: 3 * Double(cluster.electionTimeoutMs) / 1000) { cluster.state(leader)?.role != .leader },
                "the minority's leader still leads")
            try healAndCheck("majority split from the minority", cluster, lab, workload, recovery: "new leader after \(replaced.ms) ms")
        }
    }
}

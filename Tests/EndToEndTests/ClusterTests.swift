import Foundation
import PGRaftKit
import PGRaftTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// Three real nodes on loopback (heartbeat 50 ms, election timeout 500 ms): election,
    /// replication, kills of whole nodes and of single components, membership changes, partitions.
    /// Every wait has a deadline; none is a fixed sleep.
    @Suite final class ClusterTests {
        var clusters: [ClusterSandbox] = []

        deinit {
            clusters.forEach { $0.cleanUp() }
        }

        func startCluster(extra: String = "", supervisor: [String: String] = [:]) throws -> (ClusterSandbox, Int) {
            let cluster = try ClusterSandbox(extra: extra, supervisor: supervisor)
            clusters.append(cluster)
            try cluster.start()
            guard let leader = cluster.waitForLeader() else {
                throw ClusterFailure(description: "no leader elected; node 1 consensus log:\n\(cluster.log("consensus", on: 1))")
            }
            return (cluster, leader)
        }

        /// Puts `count` keys `prefix0…` through node `via`, retrying refused ones; the acknowledged keys.
        func write(_ cluster: ClusterSandbox, via: Int, prefix: String, count: Int) throws -> [String: String] {
            var written: [String: String] = [:]
            let client = try cluster.client(via)
            for i in 0..<count {
                let key = "\(prefix)\(i)"
                let value = "value-of-\(key)"
                let ok = cluster.node(via).waitUntil(timeout: 10) {
                    (try? client.put(key, value))?.status == .ok
                }
                #expect(ok, "put \(key) through node \(via) was never acknowledged")
                if ok { written[key] = value }
            }
            return written
        }

        /// Every key of `written` reads back with its value on node `id` (linearizable reads).
        func expectReadable(_ written: [String: String], on id: Int, _ cluster: ClusterSandbox) throws {
            let client = try cluster.client(id)
            let reply = try client.call(.list(prefix: "", linearizable: true))
            guard case .records(let records, _) = reply.result else {
                Issue.record("list on node \(id) answered \(reply.status) \(reply.result)")
                return
            }
            let found = Dictionary(records.map { ($0.key, String(decoding: $0.value, as: UTF8.self)) }, uniquingKeysWith: { a, _ in a })
            let missing = written.filter { found[$0.key] != $0.value }
            #expect(missing.isEmpty, "node \(id) lacks \(missing.count) acknowledged writes, e.g. \(missing.keys.sorted().prefix(3))")
        }

        @Test func aLeaderIsElectedAndAThousandPutsAreReadableOnEveryNode() throws {
            let (cluster, leader) = try startCluster()
            #expect((1...3).allSatisfy { cluster.state($0)?.leaderId == UInt64(leader) })
            var written: [String: String] = [:]
            // Through the leader and through both followers (which forward to the leader).
            for via in 1...3 {
                written.merge(try write(cluster, via: via, prefix: "n\(via)-", count: 334)) { $1 }
            }
            #expect(written.count == 1002)
            for id in 1...3 { try expectReadable(written, on: id, cluster) }
            // A stale read is served from the node's own state machine, once it has applied the writes.
            let follower = leader == 1 ? 2 : 1
            let commit = cluster.state(leader)?.commitIndex ?? 0
            #expect(cluster.node(follower).waitUntil(timeout: 10) { (cluster.state(follower)?.appliedIndex ?? 0) >= commit })
            let stale = try cluster.client(follower).get("n1-7", stale: true)
            #expect(stale.value == "value-of-n1-7", "stale read on node \(follower): \(stale.reply)")
        }

        @Test func killingTheLeadersWholeNodeElectsANewLeaderWithinTwoElectionTimeoutsAndItCatchesUpAfterRestart() throws {
            let (cluster, leader) = try startCluster()
            var written = try write(cluster, via: leader, prefix: "before-", count: 50)
            let others = (1...3).filter { $0 != leader }
            let killedAt = Date()
            cluster.killNode(leader)
            var newLeader: Int?
            cluster.node(others[0]).waitUntil(timeout: 10) {
                newLeader = cluster.waitForLeader(among: others, timeout: 0)
                return newLeader != nil
            }
            let failover = Date().timeIntervalSince(killedAt)
            let limit = 2 * Double(cluster.electionTimeoutMs) / 1000
            #expect(newLeader != nil && failover < limit, "new leader \(String(describing: newLeader)) after \(failover) s; limit \(limit) s")
            guard let newLeader else { return }
            written.merge(try write(cluster, via: newLeader, prefix: "after-", count: 50)) { $1 }
            try cluster.node(leader).start()
            #expect(cluster.node(leader).waitAllRunning(timeout: 60))
            let commit = cluster.state(newLeader)?.commitIndex ?? 0
            #expect(cluster.node(leader).waitUntil(timeout: 20) { (cluster.state(leader)?.appliedIndex ?? 0) >= commit },
                "the restarted node did not catch up to \(commit)")
            try expectReadable(written, on: leader, cluster)
        }

        @Test(arguments: ["transport", "storage", "consensus"])
        func killingOneComponentOnTheLeaderAndOnAFollowerLosesNoAcknowledgedWrite(component: String) throws {
            let (cluster, leader) = try startCluster()
            let follower = leader == 1 ? 2 : 1
            var written: [String: String] = [:]
            for (round, target) in [leader, follower].enumerated() {
                let term = cluster.state(leader)?.term
                written.merge(try write(cluster, via: follower, prefix: "r\(round)a-", count: 30)) { $1 }
                guard let pid = cluster.pid(of: component, on: target) else {
                    Issue.record("no pid for \(component) on node \(target)")
                    return
                }
                kill(pid, SIGKILL)
                // Writes go on (retried while the component is down), then it is back.
                written.merge(try write(cluster, via: leader == target ? follower : leader, prefix: "r\(round)b-", count: 30)) { $1 }
                #expect(cluster.node(target).waitUntil(timeout: 30) {
                    let now = cluster.node(target).component(component)
                    return now?.state == "RUNNING" && now?.pid != pid
                })
                written.merge(try write(cluster, via: target, prefix: "r\(round)c-", count: 30)) { $1 }
                if component == "transport" && target == leader {
                    // A transport restart shorter than the election timeout causes no election.
                    #expect(cluster.state(leader)?.term == term && cluster.state(leader)?.role == .leader,
                        "the leader's transport restart caused an election")
                }
            }
            let current = cluster.waitForLeader() ?? leader
            let commit = cluster.state(current)?.commitIndex ?? 0
            for id in 1...3 {
                #expect(cluster.node(id).waitUntil(timeout: 20) { (cluster.state(id)?.appliedIndex ?? 0) >= commit })
                try expectReadable(written, on: id, cluster)
            }
        }

        @Test func aNodeAddedWithAddNodeCatchesUpBySnapshotAndIsPromotedToVoter() throws {
            let (cluster, leader) = try startCluster(extra: "components:\n  consensus:\n    args: [\"--snapshot-entries\", \"40\"]\n")
            let written = try write(cluster, via: leader, prefix: "early-", count: 120)
            #expect(cluster.node(leader).waitUntil(timeout: 10) { (cluster.state(leader)?.snapshotIndex ?? 0) > 0 },
                "the leader never compacted its log")
            let joining = try cluster.addJoiningNode()
            try joining.start()
            #expect(joining.waitAllRunning(timeout: 60))
            // Through the operator's path: the segment's command queue, as pgraftctl does.
            let segment = try SharedSegment.attach(name: "/pgraft.\(cluster.clusterName).\(leader)")
            let request = ClientRequest(id: 0, operation: .addNode(id: 4, address: "127.0.0.1:\(joining.listenPort)"))
            let command = try segment.enqueue(type: .addNode, payload: request.encoded())
            var status: CommandStatusRecord?
            #expect(cluster.node(leader).waitUntil(timeout: 20) {
                status = segment.commandStatus(id: command)
                return status?.status.isFinal == true
            })
            #expect(status?.status == .completed, "add-node ended \(String(describing: status))")
            #expect(cluster.node(leader).waitUntil(timeout: 30) {
                cluster.state(leader)?.members.first { $0.id == 4 }?.kind == .voter
            }, "node 4 was not promoted: \(String(describing: cluster.state(leader)?.members))")
            let commit = cluster.state(leader)?.commitIndex ?? 0
            #expect(joining.waitUntil(timeout: 20) { (cluster.state(4)?.appliedIndex ?? 0) >= commit })
            #expect(cluster.log("consensus", on: 4).contains("installed a snapshot"), "node 4 did not catch up by snapshot")
            try expectReadable(written, on: 4, cluster)
        }

        @Test func removingTheLeaderHandsLeadershipOverAndWritesGoOn() throws {
            let (cluster, leader) = try startCluster()
            _ = try write(cluster, via: leader, prefix: "a-", count: 20)
            let reply = try cluster.client(leader).call(.removeNode(id: UInt64(leader)), timeout: 20)
            #expect(reply.status == .ok, "remove-node answered \(reply.status) \(reply.result)")
            let others = (1...3).filter { $0 != leader }
            guard let newLeader = cluster.waitForLeader(among: others, timeout: 10) else {
                Issue.record("no new leader among \(others)")
                return
            }
            // The removal was applied where it was asked; every member shows it once it applied it too.
            #expect(cluster.node(newLeader).waitUntil(timeout: 5) {
                cluster.state(newLeader)?.members.map(\.id).contains(UInt64(leader)) == false
            })
            let written = try write(cluster, via: newLeader, prefix: "b-", count: 20)
            try expectReadable(written, on: others.first { $0 != newLeader }!, cluster)
            // The removed node learns it: it shows itself as a non-member and fails its health check.
            let removed = cluster.node(leader)
            #expect(removed.waitUntil(timeout: 20) { cluster.state(leader)?.role == .nonMember }, "\(String(describing: cluster.state(leader)))")
            let health = try HTTP.get(port: removed.apiPort, path: "/health")
            #expect(health.status == 503 && health.body.contains("is not a member of cluster"), "\(health.body)")
            #expect(try HTTP.get(port: cluster.node(newLeader).apiPort, path: "/health").status == 200)
        }

        @Test func aNodeRemovedWhileItWasDownLearnsItOnItsReturn() throws {
            let (cluster, leader) = try startCluster()
            // Node 1 dials both others, so both refusals reach it.
            #expect(cluster.node(1).stop() == 0)
            let others = [2, 3]
            guard let current = leader == 1 ? cluster.waitForLeader(among: others, timeout: 10) : leader else {
                Issue.record("no leader among \(others) once node 1 stopped")
                return
            }
            let reply = try cluster.client(current).call(.removeNode(id: 1), timeout: 20)
            #expect(reply.status == .ok, "remove-node answered \(reply.status) \(reply.result)")
            try cluster.node(1).start()
            #expect(cluster.node(1).waitUntil(timeout: 30) { cluster.state(1)?.role == .nonMember }, "\(String(describing: cluster.state(1)))")
            #expect(cluster.log("consensus", on: 1).contains("node 2, node 3 refuse this node as a non-member"))
            #expect(cluster.node(1).waitAllRunning(timeout: 30))
            let health = try HTTP.get(port: cluster.node(1).apiPort, path: "/health")
            #expect(health.status == 503, "\(health.body)")
            // A request to it is sent elsewhere at once, with the reason.
            let misdirected = try HTTP.get(port: cluster.node(1).apiPort, path: "/v1/kv/anything")
            #expect(misdirected.status == 421 && misdirected.body.contains("refuse this node as a non-member"), "\(misdirected.body)")
            // The others go on, and log the refused greetings once, not at every retry.
            _ = try write(cluster, via: current, prefix: "after-", count: 5)
            for id in others {
                let refusals = cluster.log("transport", on: id).components(separatedBy: "WARN  transport: refused peer connection").count - 1
                #expect(refusals == 1, "node \(id) logged \(refusals) refusals as warnings")
            }
        }

        @Test func aLeaderCutOffFromTheOthersAcceptsNoWriteWhileTheMajorityGoesOn() throws {
            // The partition is a stopped transport: the watchdog must not end it early.
            let (cluster, leader) = try startCluster(supervisor: ["heartbeat_misses": "200"])
            _ = try write(cluster, via: leader, prefix: "a-", count: 10)
            guard let transport = cluster.pid(of: "transport", on: leader) else { return }
            kill(transport, SIGSTOP)
            defer { kill(transport, SIGCONT) }
            let minority = try cluster.client(leader)
            let cut = try minority.put("cut-off", "never-acknowledged", timeout: 20)
            #expect(cut.status != .ok, "the cut-off leader acknowledged a write: \(cut.result)")
            let others = (1...3).filter { $0 != leader }
            guard let newLeader = cluster.waitForLeader(among: others, timeout: 10) else {
                Issue.record("the majority elected no leader")
                return
            }
            let written = try write(cluster, via: newLeader, prefix: "majority-", count: 20)
            kill(transport, SIGCONT)
            // Healed: the old leader follows the new one and has the majority's writes.
            #expect(cluster.node(leader).waitUntil(timeout: 20) { cluster.state(leader)?.leaderId == UInt64(newLeader) })
            try expectReadable(written, on: leader, cluster)
        }

        @Test func anOperatorDrivesTheClusterWithPgraftctlAndHTTP() throws {
            let (cluster, leader) = try startCluster()
            let followers = (1...3).filter { $0 != leader }
            let put = try cluster.node(followers[0]).ctl(["kv", "put", "greeting", "hello there"])
            #expect(put.status == 0, "kv put: \(put.stdout) \(put.stderr)")
            let get = try cluster.node(followers[1]).ctl(["kv", "get", "greeting"])
            #expect(get.status == 0 && get.stdout.contains("hello there"), "kv get: \(get.stdout) \(get.stderr)")
            let http = try HTTP.get(port: cluster.node(leader).apiPort, path: "/v1/kv/greeting")
            #expect(http.status == 200 && http.body.contains("\"value\":\"hello there\""), "\(http.status) \(http.body)")
            let missing = try HTTP.get(port: cluster.node(leader).apiPort, path: "/v1/kv/nothing-here")
            #expect(missing.status == 404 && missing.body.contains("error"))
            // The command log: three records, the first two trimmed away on every node.
            for record in ["one", "two", "three"] {
                let appended = try cluster.node(followers[0]).ctl(["log", "append", record])
                #expect(appended.status == 0, "log append: \(appended.stdout) \(appended.stderr)")
            }
            let trim = try cluster.node(followers[1]).ctl(["log", "trim", "--through", "2"])
            #expect(trim.status == 0 && trim.stdout.hasPrefix("trimmed through sequence 2"), "log trim: \(trim.stdout) \(trim.stderr)")
            let gone = try cluster.node(leader).ctl(["log", "get", "1"])
            #expect(gone.status != 0 && gone.stderr.contains("records held: 3...3"), "log get 1: \(gone.stdout) \(gone.stderr)")
            let kept = try cluster.node(leader).ctl(["log", "get", "3"])
            #expect(kept.status == 0 && kept.stdout == "three\n", "log get 3: \(kept.stdout) \(kept.stderr)")
            // A planned switchover through the segment's command queue.
            let target = followers[1]
            let transfer = try cluster.node(followers[0]).ctl(["cluster", "transfer-leader", "\(target)"])
            #expect(transfer.status == 0, "transfer-leader: \(transfer.stdout) \(transfer.stderr)")
            #expect(cluster.waitForLeader(timeout: 10) == target)
            let status = try cluster.node(leader).ctl(["cluster", "status", "--json"])
            let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            #expect(json?["leader_id"] as? Int == target, "cluster status: \(status.stdout)")
            #expect((json?["members"] as? [[String: Any]])?.count == 3)
            // Without a majority there is no leader: writes get 503 with a JSON error, not a hang.
            let survivor = leader
            for id in (1...3) where id != survivor { cluster.killNode(id) }
            #expect(cluster.node(survivor).waitUntil(timeout: 10) { cluster.state(survivor)?.leaderId == 0 })
            let refused = try HTTP.request(port: cluster.node(survivor).apiPort, method: "PUT", path: "/v1/kv/k", body: "v")
            #expect(refused.status == 503 && refused.body.contains("\"error\""), "\(refused.status) \(refused.body)")
        }

        @Test func nodesRestartedWithoutContactStillKnowTheMembershipChangesThatCommitted() throws {
            // Stopped transports keep the nodes from talking: the watchdog must not end that early.
            let (cluster, leader) = try startCluster(supervisor: ["heartbeat_misses": "200"])
            for id in 4...5 {
                let node = try cluster.addJoiningNode()
                try node.start()
                #expect(node.waitAllRunning(timeout: 60))
                let reply = try cluster.client(leader).call(.addNode(id: UInt64(id), address: "127.0.0.1:\(node.listenPort)"), timeout: 20)
                #expect(reply.status == .ok, "add-node \(id): \(reply.result)")
                #expect(cluster.node(leader).waitUntil(timeout: 30) {
                    cluster.state(leader)?.members.first { $0.id == UInt64(id) }?.kind == .voter
                }, "node \(id) was not promoted")
            }
            let written = try write(cluster, via: leader, prefix: "k", count: 20)
            // Every node restarts consensus cut off from the others: what it knows of the membership
            // is only what it saved. Had it forgotten that 4 and 5 joined, two of the five could
            // elect a leader in the old three-member membership while three elect another.
            let transports = (1...5).compactMap { cluster.pid(of: "transport", on: $0) }
            transports.forEach { kill($0, SIGSTOP) }
            defer { transports.forEach { kill($0, SIGCONT) } }
            for id in 1...5 {
                guard let pid = cluster.pid(of: "consensus", on: id) else { continue }
                kill(pid, SIGKILL)
                #expect(cluster.node(id).waitUntil(timeout: 30) {
                    let now = cluster.node(id).component("consensus")
                    return now?.state == "RUNNING" && now?.pid != pid
                })
            }
            for id in 1...5 {
                #expect(cluster.node(id).waitUntil(timeout: 10) {
                    cluster.state(id)?.members.filter { $0.kind == .voter }.count == 5
                }, "node \(id) restarted with voters \(cluster.state(id)?.members.map(\.id) ?? [])")
            }
            transports.forEach { kill($0, SIGCONT) }
            guard let newLeader = cluster.waitForLeader(timeout: 20) else {
                Issue.record("no leader after the transports resumed")
                return
            }
            let commit = cluster.state(newLeader)?.commitIndex ?? 0
            for id in 1...5 {
                #expect(cluster.node(id).waitUntil(timeout: 20) { (cluster.state(id)?.appliedIndex ?? 0) >= commit })
                try expectReadable(written, on: id, cluster)
            }
        }
    }
}

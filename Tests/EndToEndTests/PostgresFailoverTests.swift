import Foundation
import PGRaftKit
import PGRaftPostgres
import PGRaftTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// Three pgraft nodes managing three real PostgreSQL 15 servers: bootstrap, failover under a
    /// write load with no acknowledged commit lost, rejoin by rewind, fencing of a frozen primary,
    /// crashes that must not become failovers, and refusals.
    @Suite(.serialized) final class PostgresFailoverTests {
        /// A cluster brought up to one writable primary and two streaming standbys, with a table.
        static func running() throws -> (PostgresClusterSandbox, primary: Int) {
            let sandbox = try PostgresClusterSandbox()
            do {
                try sandbox.cluster.start(timeout: 60)
                guard let primary = sandbox.waitForPrimary(timeout: 90) else {
                    throw ClusterFailure(description: "no writable primary: \((1...3).map { sandbox.cluster.log("bridge", on: $0) })")
                }
                let standbys = [1, 2, 3].filter { $0 != primary }
                guard sandbox.cluster.nodes[0].waitUntil(timeout: 90, { standbys.allSatisfy { sandbox.isStreamingStandby($0) } }) else {
                    throw ClusterFailure(description: "the standbys do not stream: \(standbys.map { sandbox.cluster.log("bridge", on: $0) })")
                }
                guard sandbox.query(primary, "CREATE TABLE acked (id bigint PRIMARY KEY)") != nil else {
                    throw ClusterFailure(description: "cannot create a table on the primary")
                }
                return (sandbox, primary)
            } catch {
                sandbox.cleanUp()
                throw error
            }
        }

        @Test func bootstrapGivesOnePrimaryAndTwoStreamingStandbysThatReceiveItsWrites() throws {
            let (sandbox, primary) = try Self.running()
            defer { sandbox.cleanUp() }
            let standbys = [1, 2, 3].filter { $0 != primary }
            #expect(sandbox.query(primary, "INSERT INTO acked VALUES (1)") != nil)
            for id in standbys {
                #expect(sandbox.cluster.nodes[0].waitUntil(timeout: 20) { sandbox.query(id, "SELECT id FROM acked")?.first?.first == "1" })
                #expect(!sandbox.isWritablePrimary(id))
            }
            // Every server comes from one initdb.
            let identifiers = Set([1, 2, 3].compactMap { sandbox.query($0, "SELECT system_identifier FROM pg_control_system()")?.first?.first })
            #expect(identifiers.count == 1)
        }

        @Test func killingThePrimarysHostLosesNoAcknowledgedCommitAndTheOldPrimaryRejoins() throws {
            let (sandbox, first) = try Self.running()
            defer { sandbox.cleanUp() }
            let writer = Writer(sandbox: sandbox)
            writer.start()
            #expect(sandbox.cluster.nodes[0].waitUntil(timeout: 20) { writer.acknowledged.count >= 20 })
            sandbox.killHost(first)
            let others = [1, 2, 3].filter { $0 != first }
            let second = try #require(sandbox.waitForPrimary(among: others, timeout: 60), "no new primary")
            let before = writer.acknowledged.count
            #expect(sandbox.cluster.nodes[0].waitUntil(timeout: 30) { writer.acknowledged.count > before + 20 }, "writes did not resume")
            writer.stop()
            let ids = Set((sandbox.query(second, "SELECT id FROM acked", timeoutMs: 10_000) ?? []).compactMap { $0.first ?? nil }.compactMap { Int($0) })
            let lost = writer.acknowledged.filter { !ids.contains($0) }
            #expect(lost.isEmpty, "acknowledged commits missing from the new primary: \(lost.prefix(10))")

            // The old primary comes back, is rewound, and streams from the new one.
            try sandbox.cluster.node(first).start()
            #expect(
                sandbox.cluster.nodes[0].waitUntil(timeout: 90) { sandbox.isStreamingStandby(first) },
                "\(sandbox.cluster.log("bridge", on: first))")
            #expect(!sandbox.isWritablePrimary(first))
        }

        @Test func aFrozenPrimaryAcceptsNoWriteAfterTheNewPrimaryIsPromotedAndRejoins() throws {
            let (sandbox, first) = try Self.running()
            defer { sandbox.cleanUp() }
            let frozen = sandbox.hostPids(first)
            let connection = try sandbox.connect(first)
            defer { connection.close() }
            sandbox.signalHost(first, SIGSTOP, pids: frozen)
            let others = [1, 2, 3].filter { $0 != first }
            let second = sandbox.waitForPrimary(among: others, timeout: 60)
            #expect(second != nil)
            sandbox.signalHost(first, SIGCONT, pids: frozen)
            // Once resumed, the old primary acknowledges nothing: the commit waits (fenced) or fails.
            let late = Result { try connection.query("INSERT INTO acked VALUES (-1)", timeoutMs: 3_000) }
            if case .success = late { Issue.record("the old primary acknowledged a commit after the new one was promoted") }
            #expect(sandbox.cluster.nodes[0].waitUntil(timeout: 90) { sandbox.isStreamingStandby(first) }, "\(sandbox.cluster.log("bridge", on: first))")
            if let second { #expect(sandbox.query(second, "SELECT count(*) FROM acked WHERE id = -1")?.first?.first == "0") }
        }

        @Test func aPrimaryWhosePgraftdDiedAcknowledgesNothingOnceAnotherIsPromotedAndRejoinsWhenItsNodeReturns() throws {
            let (sandbox, first) = try Self.running()
            defer { sandbox.cleanUp() }
            let connection = try sandbox.connect(first)
            defer { connection.close() }
            // pgraftd and its components die; the postmaster lives on, unfenced (no bridge to fence it).
            sandbox.cluster.killNode(first)
            #expect(sandbox.postmasterPid(first) != nil)
            let others = [1, 2, 3].filter { $0 != first }
            let second = try #require(sandbox.waitForPrimary(among: others, timeout: 60), "no new primary")
            // Its standbys follow the new primary: a commit on the old one is never acknowledged.
            let late = Result { try connection.query("INSERT INTO acked VALUES (-2)", timeoutMs: 3_000) }
            if case .success = late { Issue.record("the old primary acknowledged a commit after the new one was promoted") }
            #expect(sandbox.query(second, "SELECT count(*) FROM acked WHERE id = -2")?.first?.first == "0")
            // Its node comes back: the server is demoted, rewound and streams from the new primary.
            try sandbox.cluster.node(first).start()
            #expect(sandbox.cluster.nodes[0].waitUntil(timeout: 90) { sandbox.isStreamingStandby(first) }, "\(sandbox.cluster.log("bridge", on: first))")
            #expect(!sandbox.isWritablePrimary(first))
        }

        @Test func aNodeAddedLaterGetsItsServerByBaseBackupAndStreams() throws {
            let (sandbox, primary) = try Self.running()
            defer { sandbox.cleanUp() }
            #expect(sandbox.query(primary, "INSERT INTO acked VALUES (4)") != nil)
            let node = try sandbox.addJoiningNode()
            let leader = try #require(sandbox.cluster.waitForLeader(among: [1, 2, 3]))
            let reply = try sandbox.cluster.client(leader).call(.addNode(id: UInt64(node.nodeId), address: "127.0.0.1:\(node.listenPort)"), timeout: 20)
            #expect(reply.status == .ok, "add-node answered \(reply.status) \(reply.result)")
            try node.start()
            #expect(
                node.waitUntil(timeout: 120) { sandbox.isStreamingStandby(node.nodeId) },
                "\(sandbox.cluster.log("bridge", on: node.nodeId))")
            #expect(node.waitUntil(timeout: 20) { sandbox.query(node.nodeId, "SELECT count(*) FROM acked WHERE id = 4")?.first?.first == "1" })
            #expect(sandbox.isWritablePrimary(primary), "the primary stays")
        }

        @Test func killingTheBridgeOnThePrimaryKeepsThePostmasterAndTheLeader() throws {
            let (sandbox, primary) = try Self.running()
            defer { sandbox.cleanUp() }
            let postmaster = sandbox.postmasterPid(primary)
            let term = sandbox.cluster.state(primary)?.term
            let bridge = try #require(sandbox.cluster.pid(of: "bridge", on: primary))
            kill(bridge, SIGKILL)
            #expect(sandbox.cluster.nodes[0].waitUntil(timeout: 30) {
                sandbox.cluster.pid(of: "bridge", on: primary).map { $0 != bridge } ?? false
            })
            #expect(sandbox.query(primary, "INSERT INTO acked VALUES (2)") != nil)
            #expect(sandbox.postmasterPid(primary) == postmaster, "the new bridge adopts the running server")
            #expect(sandbox.cluster.state(primary)?.term == term, "no election")
        }

        @Test(arguments: ["consensus", "transport", "storage"])
        func killingAComponentOnThePrimarysNodeKeepsTheSamePrimary(component: String) throws {
            let (sandbox, primary) = try Self.running()
            defer { sandbox.cleanUp() }
            let postmaster = sandbox.postmasterPid(primary)
            let pid = try #require(sandbox.cluster.pid(of: component, on: primary))
            kill(pid, SIGKILL)
            #expect(sandbox.cluster.nodes[0].waitUntil(timeout: 30) { sandbox.cluster.pid(of: component, on: primary).map { $0 != pid } ?? false })
            // Writes pause while leadership moves and comes back (their length is measured by the
            // benchmark, not here); then the same server takes them, and no server was promoted.
            #expect(
                sandbox.cluster.nodes[0].waitUntil(timeout: 60) {
                    sandbox.query(primary, "INSERT INTO acked VALUES (3) ON CONFLICT DO NOTHING", timeoutMs: 1_000) != nil
                },
                "the same server takes writes again")
            #expect(sandbox.waitForPrimary(timeout: 10) == primary, "the same server is primary afterwards")
            #expect(sandbox.postmasterPid(primary) == postmaster, "no restart, no promotion")
            for node in [1, 2, 3] {
                let log = sandbox.cluster.log("bridge", on: node)
                #expect(!log.contains("promoting") && !log.contains("pg_rewind"), "no promotion nor rewind on node \(node)")
            }
        }

        @Test func aNetworkBlipOnThePrimarysNodeFencesItAndKeepsTheSamePrimary() throws {
            let (sandbox, primary) = try Self.running()
            defer { sandbox.cleanUp() }
            let postmaster = sandbox.postmasterPid(primary)
            let term = try #require(sandbox.cluster.state(primary)?.term)
            // The node's peer traffic stops for two election timeouts (its transport frozen): the
            // others elect a leader, this one loses its quorum. That length is the fault, not a wait.
            let transport = try #require(sandbox.cluster.pid(of: "transport", on: primary))
            kill(transport, SIGSTOP)
            usleep(1_000_000)
            kill(transport, SIGCONT)
            #expect(
                sandbox.cluster.nodes[0].waitUntil(timeout: 60) {
                    sandbox.query(primary, "INSERT INTO acked VALUES (5) ON CONFLICT DO NOTHING", timeoutMs: 1_000) != nil
                },
                "the same server takes writes again")
            #expect((sandbox.cluster.state(primary)?.term ?? 0) > term, "leadership moved during the blip")
            #expect(sandbox.cluster.log("bridge", on: primary).contains("fencing the primary"), "the primary was fenced when its node lost its quorum")
            #expect(sandbox.waitForPrimary(timeout: 10) == primary)
            #expect(sandbox.postmasterPid(primary) == postmaster, "no restart")
            for node in [1, 2, 3] {
                let log = sandbox.cluster.log("bridge", on: node)
                #expect(!log.contains("promoting") && !log.contains("pg_rewind"), "no promotion nor rewind on node \(node)")
            }
        }

        @Test func aStandbyThatStoppedReceivingIsNotPromotedOverAnUpToDateOne() throws {
            let (sandbox, first) = try Self.running()
            defer { sandbox.cleanUp() }
            let standbys = [1, 2, 3].filter { $0 != first }
            let behind = standbys[0]
            let current = standbys[1]
            // Freeze the lagging standby's WAL receiver, then write on the primary.
            let receiver = try #require(sandbox.query(behind, "SELECT pid FROM pg_stat_wal_receiver")?.first?.first ?? nil)
            let receiverPid = try #require(Int32(receiver))
            kill(receiverPid, SIGSTOP)
            defer { kill(receiverPid, SIGCONT) }
            for id in 10..<60 { _ = sandbox.query(first, "INSERT INTO acked VALUES (\(id))") }
            sandbox.killHost(first)
            let second = sandbox.waitForPrimary(among: standbys, timeout: 60)
            #expect(second == current, "the up-to-date standby is promoted")
        }
    }
}

/// Commits one row per transaction on whichever server is the writable primary, and records each
/// acknowledged id.
final class Writer: @unchecked Sendable {
    let sandbox: PostgresClusterSandbox
    private let lock = NSLock()
    private var ids: [Int] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    init(sandbox: PostgresClusterSandbox) { self.sandbox = sandbox }

    /// The acknowledged ids so far.
    var acknowledged: [Int] { lock.withLock { ids } }

    func start() {
        Thread { [self] in
            run()
            finished.signal()
        }.start()
    }

    /// Stops writing and returns once the writer has.
    func stop() {
        lock.withLock { stopping = true }
        finished.wait()
    }

    private func run() {
        var next = 1_000
        var connection: PostgresConnection?
        while !lock.withLock({ stopping }) {
            if connection == nil {
                // Polling for the primary, as a client behind a load balancer retries.
                guard let primary = [1, 2, 3].first(where: { sandbox.isWritablePrimary($0) }) else { continue }
                connection = try? sandbox.connect(primary)
            }
            do {
                _ = try connection!.query("INSERT INTO acked VALUES (\(next))", timeoutMs: 2_000)
                let id = next
                lock.withLock { ids.append(id) }
            } catch {
                connection?.close()
                connection = nil
            }
            next += 1
        }
        connection?.close()
    }
}

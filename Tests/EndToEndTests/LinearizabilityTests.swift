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

        /// The history shared by the client threads, with a logical clock for invocations and responses.
        final class Recorder: @unchecked Sendable {
            private let lock = NSLock()
            private var clock = 0
            private(set) var history: [HistoryOp] = []

            func invoke(client: Int, _ kind: HistoryOp.Kind) -> Int {
                lock.withLock {
                    clock += 1
                    history.append(HistoryOp(client: client, kind: kind, invoke: clock))
                    return history.count - 1
                }
            }

            func complete(_ at: Int, _ outcome: HistoryOp.Outcome) {
                lock.withLock {
                    clock += 1
                    history[at].response = clock
                    history[at].outcome = outcome
                }
            }
        }

        @Test func aConcurrentHistoryTakenWhileNodesAreKilledAndRestartedIsLinearizable() throws {
            let cluster = try ClusterSandbox()
            self.cluster = cluster
            try cluster.start()
            #expect(cluster.waitForLeader() != nil)
            let recorder = Recorder()
            let stop = ManagedAtomicFlag()
            let keys = ["x", "y", "z"]
            let group = DispatchGroup()
            for client in 0..<4 {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    var random = SeededRandom(seed: UInt64(client + 1))
                    var connections: [Int: ConsensusTestClient] = [:]
                    var n = 0
                    while !stop.isSet {
                        n += 1
                        let node = Int.random(in: 1...3, using: &random)
                        let key = keys[Int.random(in: 0..<keys.count, using: &random)]
                        let isPut = Bool.random(using: &random)
                        let value = "c\(client)-\(n)"
                        let at = recorder.invoke(client: client, isPut ? .put(key: key, value: Array(value.utf8)) : .read(key: key))
                        do {
                            if connections[node] == nil { connections[node] = try cluster.client(node) }
                            let reply = try connections[node]!.call(
                                isPut ? .put(key: key, value: Array(value.utf8)) : .get(key: key, linearizable: true), timeout: 8)
                            recorder.complete(at, Self.outcome(of: reply, isPut: isPut))
                        } catch {
                            connections[node] = nil
                            recorder.complete(at, isPut ? .unknown : .failed)
                            usleep(20_000)  // the node is down: let the other clients' requests through
                        }
                    }
                }
            }
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
                let before = recorder.history.count
                cluster.node(1).waitUntil(timeout: 10) { recorder.history.count >= before + 100 }
            }
            stop.set()
            group.wait()
            let history = recorder.history
            var checker = LinearizabilityChecker()
            for op in history {
                switch (op.kind, op.outcome) {
                case (.put(let key, let value), .wrote(let revision)):
                    if let conflict = checker.record(revision: revision, key: key, value: value) { Issue.record("\(conflict)") }
                case (.read(let key), .observed(_, let value, let modRevision)) where modRevision > 0:
                    if let conflict = checker.record(revision: modRevision, key: key, value: value) { Issue.record("\(conflict)") }
                default:
                    break
                }
            }
            let acknowledged = history.filter { if case .wrote = $0.outcome { return true } else { return false } }.count
            let observed = history.filter { if case .observed = $0.outcome { return true } else { return false } }.count
            #expect(acknowledged > 50 && observed > 50, "too little happened: \(acknowledged) writes, \(observed) reads")
            #expect(checker.check(history) == nil, "not linearizable: \(checker.check(history) ?? "")")
        }

        static func outcome(of reply: ClientReply, isPut: Bool) -> HistoryOp.Outcome {
            switch (reply.status, reply.result) {
            case (.ok, .written(let revision, _, _)) where isPut:
                return .wrote(revision: revision)
            case (.ok, .record(let record, let revision)) where !isPut:
                return .observed(point: revision, value: record.value, modRevision: record.modRevision)
            case (.timedOut, _) where isPut:
                return .unknown
            default:
                // Refused before it was proposed (no leader, starting) or a read that saw nothing.
                return .failed
            }
        }
    }
}

/// A flag one thread sets and others poll.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

import Foundation
import PGRaftClient
import PGRaftKit
import PGRaftTestSupport
@testable import RaftSim
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Concurrent clients putting and reading a few keys on every node of a cluster through each node's
/// `consensus.sock`, recording a history that `check` verifies with the simulator's
/// linearizability checker: what the end-to-end chaos and partition tests run under their faults.
final class KVWorkload: @unchecked Sendable {
    /// The history shared by the client threads, with a logical clock for invocations and responses.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var clock = 0
        private var operations: [HistoryOp] = []

        /// The operations so far.
        var history: [HistoryOp] { lock.withLock { operations } }
        /// How many operations were invoked.
        var count: Int { lock.withLock { operations.count } }

        func invoke(client: Int, _ kind: HistoryOp.Kind) -> Int {
            lock.withLock {
                clock += 1
                operations.append(HistoryOp(client: client, kind: kind, invoke: clock))
                return operations.count - 1
            }
        }

        func complete(_ at: Int, _ outcome: HistoryOp.Outcome) {
            lock.withLock {
                clock += 1
                operations[at].response = clock
                operations[at].outcome = outcome
            }
        }
    }

    let recorder = Recorder()
    let keys = ["x", "y", "z"]
    private let stopped = ManagedAtomicFlag()
    private let group = DispatchGroup()

    /// Starts `clients` client threads against `cluster`, each request with `timeout` seconds.
    init(cluster: ClusterSandbox, clients: Int = 4, timeout: Double = 8) {
        let size = cluster.nodes.count
        for client in 0..<clients {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                var random = SeededRandom(seed: UInt64(client + 1))
                var connections: [Int: ConsensusTestClient] = [:]
                var n = 0
                while !stopped.isSet {
                    n += 1
                    let node = Int.random(in: 1...size, using: &random)
                    let key = keys[Int.random(in: 0..<keys.count, using: &random)]
                    let isPut = Bool.random(using: &random)
                    let value = Array("c\(client)-\(n)".utf8)
                    let at = recorder.invoke(client: client, isPut ? .put(key: key, value: value) : .read(key: key))
                    do {
                        if connections[node] == nil { connections[node] = try cluster.client(node) }
                        let reply = try connections[node]!.call(
                            isPut ? .put(key: key, value: value) : .get(key: key, linearizable: true), timeout: timeout)
                        recorder.complete(at, Self.outcome(of: reply, isPut: isPut))
                    } catch {
                        connections[node] = nil
                        recorder.complete(at, isPut ? .unknown : .failed)
                        usleep(20_000)  // the node is down or cut off: let the other clients' requests through
                    }
                }
            }
        }
    }

    /// Stops the clients and returns the history.
    func stop() -> [HistoryOp] {
        stopped.set()
        group.wait()
        return recorder.history
    }

    /// Waits until `more` further operations completed (or `timeout` seconds passed).
    @discardableResult
    func waitForProgress(_ more: Int, on node: NodeSandbox, timeout: Double = 20) -> Bool {
        let target = acknowledged + more
        return node.waitUntil(timeout: timeout) { self.acknowledged >= target }
    }

    /// Puts and reads that succeeded so far.
    var acknowledged: Int {
        recorder.history.filter { op in
            switch op.outcome {
            case .wrote, .observed: return true
            default: return false
            }
        }.count
    }

    /// Records an issue for every way `history` is not linearizable, or too thin to tell, and
    /// returns the count of acknowledged writes and of observed reads.
    @discardableResult
    static func check(_ history: [HistoryOp], minimum: Int = 50) -> (writes: Int, reads: Int) {
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
        let writes = history.filter { if case .wrote = $0.outcome { return true } else { return false } }.count
        let reads = history.filter { if case .observed = $0.outcome { return true } else { return false } }.count
        #expect(writes >= minimum && reads >= minimum, "too little happened: \(writes) writes, \(reads) reads")
        #expect(checker.check(history) == nil, "not linearizable: \(checker.check(history) ?? "")")
        return (writes, reads)
    }

    /// Checks that no acknowledged write is lost: after the faults, a linearizable read of each key
    /// on `node` returns a revision at least as new as the newest write to it that was acknowledged.
    static func checkNothingLost(_ history: [HistoryOp], cluster: ClusterSandbox, node: Int) throws {
        var newest: [String: UInt64] = [:]
        for op in history {
            if case (.put(let key, _), .wrote(let revision)) = (op.kind, op.outcome) { newest[key] = max(newest[key] ?? 0, revision) }
        }
        let client = try cluster.client(node)
        for (key, revision) in newest {
            let reply = try client.call(.get(key: key, linearizable: true), timeout: 15)
            guard case .record(let record, _) = reply.result else {
                Issue.record("key \(key), last written at revision \(revision), reads as \(reply)")
                continue
            }
            #expect(record.modRevision >= revision, "key \(key): the acknowledged write at revision \(revision) is lost (read \(record.modRevision))")
        }
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

/// A flag one thread sets and others poll.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

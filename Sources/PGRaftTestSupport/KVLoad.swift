import Foundation
import PGRaftClient
import PGRaftKit
import RaftSim

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Concurrent clients putting and reading a few keys on every node of a cluster through each node's
/// `consensus.sock`, recording a history that `verdict` checks with the simulator's
/// linearizability checker: what the end-to-end chaos and partition tests and `pgraft-bench soak`
/// run under their faults.
public final class KVLoad: @unchecked Sendable {
    /// The history shared by the client threads, with a logical clock for invocations and responses.
    public final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var clock = 0
        private var operations: [HistoryOp] = []
        private var absent: [Int] = []

        /// The reads that found their key absent (recorded as failed: the reply has no revision).
        public var absentReads: [Int] { lock.withLock { absent } }

        func markAbsent(_ at: Int) {
            lock.withLock { absent.append(at) }
        }

        /// The operations so far.
        public var history: [HistoryOp] { lock.withLock { operations } }
        /// How many operations were invoked.
        public var count: Int { lock.withLock { operations.count } }

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

    /// The shared history.
    public let recorder = Recorder()
    /// The keys the clients use.
    public let keys: [String]
    private let stopped = StopFlag()
    private let group = DispatchGroup()

    /// Starts `clients` client threads against `cluster` on `keys`, each request with `timeout` seconds.
    public init(cluster: ClusterSandbox, clients: Int = 4, keys: [String] = ["x", "y", "z"], timeout: Double = 8) {
        self.keys = keys
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
                        if !isPut, reply.status == .notFound { recorder.markAbsent(at) }
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
    public func stop() -> [HistoryOp] {
        stopped.set()
        group.wait()
        return recorder.history
    }

    /// Waits until `more` further operations completed (or `timeout` seconds passed).
    @discardableResult
    public func waitForProgress(_ more: Int, on node: NodeSandbox, timeout: Double = 20) -> Bool {
        let target = acknowledged + more
        return node.waitUntil(timeout: timeout) { self.acknowledged >= target }
    }

    /// Puts and reads that succeeded so far.
    public var acknowledged: Int {
        recorder.history.filter { op in
            switch op.outcome {
            case .wrote, .observed: return true
            default: return false
            }
        }.count
    }

    /// What a history shows.
    public struct Verdict: Sendable {
        /// Acknowledged writes.
        public var writes = 0
        /// Completed reads.
        public var reads = 0
        /// Writes whose outcome is unknown (timed out).
        public var unknown = 0
        /// Requests refused before they were proposed.
        public var failed = 0
        /// Every way the history is not linearizable; empty when it is.
        public var problems: [String] = []
    }

    /// Checks `history` with the simulator's linearizability checker, and the reads in `absentReads`
    /// (indexes into the history): the clients never delete, so a read that finds its key absent
    /// after a put of it was acknowledged read stale state or lost the write.
    public static func verdict(_ history: [HistoryOp], absentReads: [Int] = []) -> Verdict {
        var checker = LinearizabilityChecker()
        var verdict = Verdict()
        for op in history {
            switch (op.kind, op.outcome) {
            case (.put(let key, let value), .wrote(let revision)):
                verdict.writes += 1
                if let conflict = checker.record(revision: revision, key: key, value: value) { verdict.problems.append(conflict) }
            case (.read(let key), .observed(_, let value, let modRevision)):
                verdict.reads += 1
                if modRevision > 0, let conflict = checker.record(revision: modRevision, key: key, value: value) { verdict.problems.append(conflict) }
            case (_, .unknown): verdict.unknown += 1
            case (_, .failed): verdict.failed += 1
            default: break
            }
        }
        if let violation = checker.check(history) { verdict.problems.append("not linearizable: \(violation)") }
        var firstAcknowledged: [String: Int] = [:]
        for op in history {
            if case (.put(let key, _), .wrote) = (op.kind, op.outcome), let response = op.response {
                firstAcknowledged[key] = min(firstAcknowledged[key] ?? response, response)
            }
        }
        for index in absentReads where index < history.count {
            let read = history[index]
            if let acknowledged = firstAcknowledged[read.kind.key], acknowledged < read.invoke {
                verdict.problems.append("a read of \(read.kind.key) invoked at \(read.invoke) found it absent after a put of it was acknowledged at \(acknowledged)")
            }
        }
        return verdict
    }

    /// The acknowledged writes a linearizable read of each key on `node` no longer shows: after the
    /// faults, each key must read at a revision at least as new as its newest acknowledged write.
    public static func lostWrites(_ history: [HistoryOp], cluster: ClusterSandbox, node: Int) throws -> [String] {
        var newest: [String: UInt64] = [:]
        for op in history {
            if case (.put(let key, _), .wrote(let revision)) = (op.kind, op.outcome) { newest[key] = max(newest[key] ?? 0, revision) }
        }
        var lost: [String] = []
        for (key, revision) in newest.sorted(by: { $0.key < $1.key }) {
            // A leader change just after the faults answers "no leader" for a moment: ask again until
            // the cluster answers the read, for up to 30 s.
            let deadline = Date().addingTimeInterval(30)
            func answered(_ reply: ClientReply?) -> Bool { reply.map { $0.status == .ok || $0.status == .notFound } ?? false }
            var reply = try? cluster.client(node).call(.get(key: key, linearizable: true), timeout: 10)
            while !answered(reply), Date() < deadline {
                usleep(100_000)
                reply = try? cluster.client(node).call(.get(key: key, linearizable: true), timeout: 10)
            }
            guard let reply, answered(reply) else {
                lost.append("key \(key): no answer to a read within 30 s (\(reply.map { "\($0.status)" } ?? "no reply"))")
                continue
            }
            guard case .record(let record, _) = reply.result else {
                lost.append("key \(key), last written at revision \(revision), reads as absent")
                continue
            }
            if record.modRevision < revision {
                lost.append("key \(key): the acknowledged write at revision \(revision) is lost (read \(record.modRevision))")
            }
        }
        return lost
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
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

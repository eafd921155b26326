import CShims
import PGRaftKit

#if canImport(Glibc)
import Glibc
#endif

/// Multi-process exercises of the segment, run by `pgraft-bench` subcommands that tests spawn.
///
/// Producer payloads are 16 bytes: the producer id, then its sequence number, both little-endian
/// UInt64, so a consumer can check that every command arrives exactly once and in per-producer order.
///
/// - Important: each worker function first asks for SIGKILL when its parent dies (it is a test helper:
///   it must not outlive the test), and Linux sends that signal when the parent's *spawning thread*
///   exits. Spawn these helpers from a thread that outlives them (the test's main thread).
public enum SegmentStress {
    /// How long a producer keeps retrying a full queue before it gives up.
    public static let fullQueueTimeoutMs: Int64 = 120_000

    /// Enqueues `count` `logAppend` commands carrying (`producerId`, 0..<count), retrying while the queue
    /// is full.
    ///
    /// - Throws: `SegmentError.queueFull` when the queue stays full for `fullQueueTimeoutMs`, or any
    ///   attach or enqueue error.
    public static func runQueueProducer(segmentName: String, producerId: Int, count: Int) throws(SegmentError) {
        _ = pgr_set_parent_death_signal(SIGKILL)
        let segment = try SharedSegment.attach(name: segmentName)
        for sequence in 0..<count {
            let payload = producerPayload(producerId: producerId, sequence: sequence)
            var fullSince: Int64?
            while true {
                do {
                    try segment.enqueue(type: .logAppend, payload: payload)
                    break
                } catch .queueFull(let capacity) {
                    let now = pgr_monotonic_ms()
                    if let since = fullSince, now - since > fullQueueTimeoutMs { throw .queueFull(capacity: capacity) }
                    if fullSince == nil { fullSince = now }
                    usleep(200)
                }
            }
        }
    }

    /// Takes the command queue's mutex and never returns, so a test can `kill -9` a process that holds
    /// it. The segment's `commandQueueInfo.lockHolderPid` shows this process's pid once it holds it.
    public static func holdQueueLockForever(segmentName: String) throws(SegmentError) -> Never {
        _ = pgr_set_parent_death_signal(SIGKILL)
        let segment = try SharedSegment.attach(name: segmentName)
        try segment.lockQueue()
        while true { withExtendedLifetime(segment) { _ = sleep(3_600) } }
    }

    /// Creates segment `segmentName` with the standard layout and never returns, so a test can `kill -9`
    /// a live owner and check that a new creator replaces the stale segment.
    public static func holdSegmentForever(segmentName: String) throws(SegmentError) -> Never {
        _ = pgr_set_parent_death_signal(SIGKILL)
        let segment = try SharedSegment.create(
            name: segmentName, layout: .standard,
            node: NodeInfo(nodeId: 1, clusterName: "stress", listenAddress: "127.0.0.1", listenPort: 7000))
        while true { withExtendedLifetime(segment) { _ = sleep(3_600) } }
    }

    /// Publishes `uniformClusterState(k)` for k = 1, 2, 3, … as fast as it can, forever, so a test can
    /// check readers against torn records and `kill -9` the writer mid-publish.
    public static func publishClusterStatesForever(segmentName: String) throws(SegmentError) -> Never {
        _ = pgr_set_parent_death_signal(SIGKILL)
        let segment = try SharedSegment.attach(name: segmentName)
        var k: UInt64 = 1
        while true {
            try segment.publishClusterState(uniformClusterState(k, maxMembers: segment.layout.maxMembers))
            k &+= 1
        }
    }

    /// A cluster state whose every number is `k` (and `k % (maxMembers + 1)` members, each all `k`), so
    /// a torn read shows as fields that disagree.
    public static func uniformClusterState(_ k: UInt64, maxMembers: Int) -> ClusterStateSnapshot {
        let members = (0..<Int(k % UInt64(maxMembers + 1))).map { _ in
            ClusterMember(
                id: k, address: "node-\(k):\(k)", kind: k % 2 == 0 ? .voter : .learner, matchIndex: k, nextIndex: k,
                lastContactMs: k)
        }
        return ClusterStateSnapshot(
            term: k, leaderId: k, role: NodeRole(rawValue: UInt32(k % 5)) ?? .follower, commitIndex: k, appliedIndex: k,
            lastIndex: k, snapshotIndex: k, members: members)
    }

    /// Whether `state` is `uniformClusterState(k)` for some k.
    public static func isUniformClusterState(_ state: ClusterStateSnapshot, maxMembers: Int) -> Bool {
        state == uniformClusterState(state.term, maxMembers: maxMembers)
    }

    /// The payload producer `producerId` sends as its `sequence`-th command.
    public static func producerPayload(producerId: Int, sequence: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(producerId).littleEndian) { Array($0) }
            + withUnsafeBytes(of: UInt64(sequence).littleEndian) { Array($0) }
    }

    /// The (producer id, sequence) a producer payload carries, or nil when it is not one.
    public static func decodeProducerPayload(_ payload: [UInt8]) -> (producerId: Int, sequence: Int)? {
        guard payload.count == 16 else { return nil }
        var producer: UInt64 = 0
        var sequence: UInt64 = 0
        for index in 0..<8 {
            producer |= UInt64(payload[index]) << (8 * UInt64(index))
            sequence |= UInt64(payload[8 + index]) << (8 * UInt64(index))
        }
        return (Int(truncatingIfNeeded: producer), Int(truncatingIfNeeded: sequence))
    }

    /// Dequeues until `producers` × `countPerProducer` producer commands arrived, checking that each
    /// arrives exactly once, in per-producer order, with increasing ids.
    ///
    /// - Parameter timeoutMs: how long to wait in all.
    /// - Returns: the number of commands received.
    /// - Throws: `SegmentError.stressCheckFailed` naming the first violation, or the timeout.
    public static func consumeAndVerify(
        segment: SharedSegment, producers: Int, countPerProducer: Int, timeoutMs: Int64
    ) throws(SegmentError) -> Int {
        var next = [Int](repeating: 0, count: producers)
        var received = 0
        var lastId: UInt64 = 0
        let deadline = pgr_monotonic_ms() + timeoutMs
        let total = producers * countPerProducer
        while received < total {
            guard let command = segment.dequeue() else {
                if pgr_monotonic_ms() > deadline {
                    throw .stressCheckFailed(reason: "timed out after \(received) of \(total) commands; next sequence per producer: \(next)")
                }
                usleep(100)
                continue
            }
            guard command.id > lastId else {
                throw .stressCheckFailed(reason: "id \(command.id) after id \(lastId): ids must increase")
            }
            lastId = command.id
            guard let (producer, sequence) = decodeProducerPayload(command.payload), producer >= 0, producer < producers else {
                throw .stressCheckFailed(reason: "command \(command.id) has a payload no producer sent: \(command.payload)")
            }
            guard sequence == next[producer] else {
                throw .stressCheckFailed(
                    reason: "producer \(producer): got sequence \(sequence), expected \(next[producer]) (lost, duplicated or reordered)")
            }
            next[producer] += 1
            received += 1
        }
        return received
    }
}

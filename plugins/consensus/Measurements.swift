import PGRaftKit
import PGRaftClient
import RaftCore

/// What consensus measures for `/metrics` beyond the segment's counters: the commit latency of
/// this node's proposals as a histogram, and Raft messages by kind.
struct Measurements {
    private(set) var latencyCounts = [UInt64](repeating: 0, count: ConsensusMetrics.latencyBucketsMs.count + 1)
    private(set) var latencySumMs = 0.0
    private(set) var sentByKind = [UInt64](repeating: 0, count: Message.Kind.allCases.count)
    private(set) var receivedByKind = [UInt64](repeating: 0, count: Message.Kind.allCases.count)

    /// A proposal of this node was applied `ns` after it was proposed.
    mutating func committed(afterNs ns: UInt64) {
        let ms = Double(ns) / 1_000_000
        latencySumMs += ms
        for (i, bound) in ConsensusMetrics.latencyBucketsMs.enumerated() where ms <= bound {
            latencyCounts[i] += 1
        }
        latencyCounts[latencyCounts.count - 1] += 1
    }

    mutating func sent(_ message: Message) { sentByKind[Int(message.kind.rawValue)] += 1 }

    mutating func received(_ message: Message) { receivedByKind[Int(message.kind.rawValue)] += 1 }

    /// The figures as the client protocol carries them.
    var snapshot: ConsensusMetrics {
        let names = Message.Kind.allCases.map { "\($0)".snakeCased }
        return ConsensusMetrics(
            latencyCounts: latencyCounts, latencySumMs: latencySumMs,
            sentByKind: zip(names, sentByKind).map { ($0, $1) }, receivedByKind: zip(names, receivedByKind).map { ($0, $1) })
    }
}

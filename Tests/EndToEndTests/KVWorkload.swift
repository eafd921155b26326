import Foundation
import PGRaftKit
import PGRaftTestSupport
import RaftSim
import Testing

/// The end-to-end tests' use of `KVLoad`: its verdict turned into test issues.
typealias KVWorkload = KVLoad

extension KVLoad {
    /// Records an issue for every way `history` is not linearizable, or too thin to tell, and
    /// returns the count of acknowledged writes and of observed reads.
    @discardableResult
    func check(_ history: [HistoryOp], minimum: Int = 50) -> (writes: Int, reads: Int) {
        let verdict = Self.verdict(history, absentReads: recorder.absentReads)
        for problem in verdict.problems { Issue.record("\(problem)") }
        #expect(verdict.writes >= minimum && verdict.reads >= minimum, "too little happened: \(verdict.writes) writes, \(verdict.reads) reads")
        return (verdict.writes, verdict.reads)
    }

    /// Records an issue for every acknowledged write that a linearizable read on `node` no longer shows.
    static func checkNothingLost(_ history: [HistoryOp], cluster: ClusterSandbox, node: Int) throws {
        for lost in try lostWrites(history, cluster: cluster, node: node) { Issue.record("\(lost)") }
    }
}

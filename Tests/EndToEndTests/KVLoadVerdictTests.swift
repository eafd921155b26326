import PGRaftTestSupport
import RaftSim
import Testing

/// `KVLoad.verdict` on histories written by hand: what it must flag.
@Suite struct KVLoadVerdictTests {
    func put(_ key: String, _ value: String, client: Int, invoke: Int, response: Int, revision: UInt64) -> HistoryOp {
        var op = HistoryOp(client: client, kind: .put(key: key, value: Array(value.utf8)), invoke: invoke)
        op.response = response
        op.outcome = .wrote(revision: revision)
        return op
    }

    func read(_ key: String, client: Int, invoke: Int, response: Int, outcome: HistoryOp.Outcome) -> HistoryOp {
        var op = HistoryOp(client: client, kind: .read(key: key), invoke: invoke)
        op.response = response
        op.outcome = outcome
        return op
    }

    @Test func aReadFindingAKeyAbsentAfterItsPutWasAcknowledgedIsFlagged() {
        let history = [
            put("x", "1", client: 0, invoke: 1, response: 2, revision: 5),
            read("x", client: 1, invoke: 3, response: 4, outcome: .failed),
        ]
        #expect(KVLoad.verdict(history, absentReads: [1]).problems.count == 1)
        // Concurrent with the put, an absent read is fine.
        let concurrent = [
            put("x", "1", client: 0, invoke: 1, response: 4, revision: 5),
            read("x", client: 1, invoke: 2, response: 3, outcome: .failed),
        ]
        #expect(KVLoad.verdict(concurrent, absentReads: [1]).problems.isEmpty)
    }

    @Test func aStaleReadIsFlaggedAndAFreshOneIsNot() {
        let stale = [
            put("x", "1", client: 0, invoke: 1, response: 2, revision: 5),
            put("x", "2", client: 0, invoke: 3, response: 4, revision: 6),
            read("x", client: 1, invoke: 5, response: 6, outcome: .observed(point: 6, value: Array("1".utf8), modRevision: 5)),
        ]
        #expect(!KVLoad.verdict(stale).problems.isEmpty)
        let fresh = [
            put("x", "1", client: 0, invoke: 1, response: 2, revision: 5),
            read("x", client: 1, invoke: 3, response: 4, outcome: .observed(point: 5, value: Array("1".utf8), modRevision: 5)),
        ]
        #expect(KVLoad.verdict(fresh).problems.isEmpty)
        #expect(KVLoad.verdict(fresh).writes == 1 && KVLoad.verdict(fresh).reads == 1)
    }
}

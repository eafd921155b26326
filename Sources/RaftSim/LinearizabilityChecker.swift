import RaftCore

/// Checks a key-value history for linearizability using the store revisions as the
/// candidate linearization order:
/// 1. real time: if A responded before B was invoked, A's point is not after B's (and
///    strictly before it if B changed the store);
/// 2. values: every observation at point p returns what the last write of that key at or
///    before p wrote, according to the revisions the state machine assigned.
///
/// A write whose outcome is unknown constrains nothing by itself; its effect, if any, is in
/// the revision record.
public struct LinearizabilityChecker: Sendable {
    /// What each revision wrote: key and value (nil for a delete).
    var writes: [UInt64: (key: String, value: [UInt8]?)] = [:]

    /// A checker with no writes recorded.
    public init() {}

    /// Records a write observed when a node applied it; returns a violation if a different
    /// write was already recorded for that revision.
    public mutating func record(revision: UInt64, key: String, value: [UInt8]?) -> String? {
        if let w = writes[revision] {
            if w.key != key || w.value != value {
                return "revision \(revision) holds two different writes (\(w.key), \(key))"
            }
            return nil
        }
        writes[revision] = (key, value)
        return nil
    }

    /// The first way `history` is not linearizable against the recorded writes, or nil.
    public func check(_ history: [HistoryOp]) -> String? {
        struct Point {
            let invoke: Int
            let response: Int
            let point: UInt64
            let mutating: Bool
            let index: Int
        }
        // Per key, the revisions that wrote it, ascending.
        var perKey: [String: [(rev: UInt64, value: [UInt8]?)]] = [:]
        for rev in writes.keys.sorted() {
            let w = writes[rev]!
            perKey[w.key, default: []].append((rev, w.value))
        }
        func observe(_ key: String, _ p: UInt64, _ value: [UInt8]?, _ modRev: UInt64, checkValue: Bool) -> String? {
            // The key's state at p according to the revision record.
            var latest: (rev: UInt64, value: [UInt8]?) = (0, nil)
            let revs = perKey[key] ?? []
            var lo = 0, hi = revs.count  // first position with rev > p
            while lo < hi {
                let mid = (lo + hi) / 2
                if revs[mid].rev <= p { lo = mid + 1 } else { hi = mid }
            }
            if lo > 0 { latest = revs[lo - 1] }
            let expectValue = latest.value
            let expectRev = latest.value == nil ? 0 : latest.rev
            if (checkValue && expectValue != value) || expectRev != modRev {
                return "\(key) observed rev \(modRev) at point \(p), but the history says rev \(expectRev)"
            }
            return nil
        }
        var points: [Point] = []
        for (i, op) in history.enumerated() {
            guard let r = op.response else { continue }
            switch op.outcome {
            case .wrote(let rev):
                guard let w = writes[rev], w.key == op.kind.key else {
                    return "op \(i) (client \(op.client)) acknowledged revision \(rev) that holds another write"
                }
                points.append(Point(invoke: op.invoke, response: r, point: rev, mutating: true, index: i))
            case .observed(let p, let value, let modRev):
                if let v = observe(op.kind.key, p, value, modRev, checkValue: true) { return "op \(i) (client \(op.client)): \(v)" }
                points.append(Point(invoke: op.invoke, response: r, point: p, mutating: false, index: i))
            case .observedRevision(let p, let modRev):
                if let v = observe(op.kind.key, p, nil, modRev, checkValue: false) { return "op \(i) (client \(op.client)): \(v)" }
                points.append(Point(invoke: op.invoke, response: r, point: p, mutating: false, index: i))
            default:
                continue
            }
        }
        // Sweep in invocation order, keeping the largest point of operations that responded earlier.
        let byResponse = points.sorted { $0.response < $1.response }
        let byInvoke = points.sorted { $0.invoke < $1.invoke }
        var k = 0
        var maxBefore: UInt64 = 0
        var maxOp = -1
        for b in byInvoke {
            while k < byResponse.count && byResponse[k].response < b.invoke {
                if byResponse[k].point >= maxBefore {
                    maxBefore = byResponse[k].point
                    maxOp = byResponse[k].index
                }
                k += 1
            }
            if maxBefore > b.point || (b.mutating && maxBefore == b.point) {
                return "op \(b.index) at revision \(b.point) is ordered before op \(maxOp) at revision \(maxBefore), which completed before it started"
            }
        }
        return nil
    }
}

import RaftCore

/// Checks Raft's safety properties (dissertation Figure 3.2) after every simulation step.
struct SafetyChecker {
    /// Election safety: the leader of each term.
    var leaderOfTerm: [UInt64: NodeID] = [:]
    /// Term of the entry committed at each index (0: none known yet).
    var committedTerm: [UInt64] = [0]
    /// Term of the entry applied at each index by the first node to apply it.
    var appliedTerm: [UInt64] = [0]
    /// The highest index any node reported committed.
    var maxCommitted: UInt64 = 0

    private static func set(_ a: inout [UInt64], _ i: UInt64, _ t: UInt64) -> UInt64? {
        let k = Int(i)
        while a.count <= k { a.append(0) }
        if a[k] == 0 {
            a[k] = t
            return nil
        }
        return a[k] == t ? nil : a[k]
    }

    /// At most one leader per term.
    mutating func checkElection(_ n: RawNode) -> String? {
        guard n.isLeader else { return nil }
        if let other = leaderOfTerm[n.term], other != n.id {
            return "election safety: nodes \(other) and \(n.id) both lead term \(n.term)"
        }
        leaderOfTerm[n.term] = n.id
        return nil
    }

    /// Newly committed entries agree with what any node committed before (state machine
    /// safety at the log level; acknowledged writes survive).
    mutating func checkCommitted(_ n: RawNode, from: inout UInt64) -> String? {
        let commit = n.log.committed
        if let f = n.safetyFault { return "log safety: \(f)" }
        var i = max(from, n.log.snapshotIndex) + 1
        while i <= commit {
            if let t = n.log.term(i), let prior = Self.set(&committedTerm, i, t) {
                return "committed entry changed: node \(n.id) committed index \(i) term \(t), earlier term \(prior)"
            }
            i += 1
        }
        from = max(from, commit)
        maxCommitted = max(maxCommitted, commit)
        return nil
    }

    /// No two nodes apply different entries at one index.
    mutating func checkApplied(node: NodeID, _ e: Entry) -> String? {
        if let prior = Self.set(&appliedTerm, e.index, e.term) {
            return "state machine safety: node \(node) applied index \(e.index) term \(e.term), another node applied term \(prior)"
        }
        return nil
    }

    /// Leader completeness: a new leader's log holds every committed entry.
    func checkLeaderCompleteness(_ n: RawNode) -> String? {
        let upTo = maxCommitted
        guard upTo > n.log.snapshotIndex else { return nil }
        if n.log.lastIndex < upTo {
            return "leader completeness: node \(n.id) leads term \(n.term) with last index \(n.log.lastIndex) < committed \(upTo)"
        }
        var i = n.log.snapshotIndex + 1
        while i <= upTo {
            let k = Int(i)
            if k < committedTerm.count, committedTerm[k] != 0, n.log.term(i) != committedTerm[k] {
                return "leader completeness: node \(n.id) leads term \(n.term) without committed entry \(i) (term \(committedTerm[k]))"
            }
            i += 1
        }
        return nil
    }

    /// Log matching: if two logs hold an entry with the same index and term, they are
    /// identical up to it.
    static func checkLogMatching(_ a: RawNode, _ b: RawNode) -> String? {
        let lo = max(a.log.firstIndex, b.log.firstIndex)
        var i = min(a.log.lastIndex, b.log.lastIndex)
        while i >= lo && i > 0 {
            if let ta = a.log.term(i), ta == b.log.term(i) {
                var j = i
                while j >= lo {
                    if a.log.term(j) != b.log.term(j) {
                        return "log matching: nodes \(a.id) and \(b.id) agree at index \(i) but differ at \(j)"
                    }
                    j -= 1
                }
                return nil
            }
            i -= 1
        }
        return nil
    }
}

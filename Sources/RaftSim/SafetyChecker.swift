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
    /// For each committed index, the lowest term of a node seen holding it committed: the entry was
    /// committed in that term or an earlier one (0: none known yet).
    var committedBy: [UInt64] = [0]
    /// The entry first seen at each index and term, on any node at any moment.
    var entryAt: [EntryPosition: Entry] = [:]
    /// The highest term each node acted in as leader or voter, and which of the two it was.
    var actedTerm: [NodeID: (term: UInt64, role: String)] = [:]

    /// Where an entry sits: its index and the term that created it.
    struct EntryPosition: Hashable {
        let index: UInt64
        let term: UInt64
    }

    private static func set(_ a: inout [UInt64], _ i: UInt64, _ t: UInt64) -> UInt64? {
        let k = Int(i)
        while a.count <= k { a.append(0) }
        if a[k] == 0 {
            a[k] = t
            return nil
        }
        return a[k] == t ? nil : a[k]
    }

    /// Records `t` at `i` unless a lower term is recorded there.
    private static func lower(_ a: inout [UInt64], _ i: UInt64, _ t: UInt64) {
        let k = Int(i)
        while a.count <= k { a.append(0) }
        if a[k] == 0 || t < a[k] { a[k] = t }
    }

    /// At most one leader per term: `node` leads `term` now.
    mutating func checkElection(node: NodeID, term: UInt64) -> String? {
        if let other = leaderOfTerm[term], other != node {
            return "election safety: nodes \(other) and \(node) both lead term \(term)"
        }
        leaderOfTerm[term] = node
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
            Self.lower(&committedBy, i, n.term)
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

    /// Leader completeness (§3.6.3): a leader's log holds every entry committed in an earlier
    /// term. An entry committed in this leader's term or later need not be there: a candidate
    /// whose votes were granted before the voters moved on may win its term after a later
    /// term's leader committed more.
    func checkLeaderCompleteness(_ n: RawNode) -> String? {
        let upTo = min(maxCommitted, UInt64(committedBy.count - 1))
        guard upTo > n.log.snapshotIndex else { return nil }
        var i = n.log.snapshotIndex + 1
        while i <= upTo {
            let k = Int(i)
            if committedBy[k] != 0, committedBy[k] < n.term, k < committedTerm.count, committedTerm[k] != 0 {
                if n.log.lastIndex < i {
                    return "leader completeness: node \(n.id) leads term \(n.term) with last index \(n.log.lastIndex) < \(i), committed in term \(committedBy[k]) or before"
                }
                if n.log.term(i) != committedTerm[k] {
                    return "leader completeness: node \(n.id) leads term \(n.term) without committed entry \(i) (term \(committedTerm[k]))"
                }
            }
            i += 1
        }
        return nil
    }

    /// Log matching across nodes and across time: an index and term names one entry for ever,
    /// whichever node holds it and whenever (a node that crashed and came back included). The
    /// check the live logs get below sees two logs at one moment; this one sees every entry any
    /// node appended or sent, so a leader that led the same term twice with other entries is
    /// named at the second entry.
    mutating func checkEntries(node: NodeID, _ entries: [Entry], _ context: @autoclosure () -> String) -> String? {
        for e in entries where e.term != 0 {
            let key = EntryPosition(index: e.index, term: e.term)
            if let prior = entryAt[key] {
                if prior != e {
                    return "log matching: node \(node) \(context()) index \(e.index) term \(e.term) holding another entry than the one seen there before"
                }
            } else {
                entryAt[key] = e
            }
        }
        return nil
    }

    /// Notes that `node` acted in `term` as `role` (it led, or it granted a vote).
    mutating func noteActed(node: NodeID, term: UInt64, role: String) {
        if let prior = actedTerm[node], prior.term >= term { return }
        actedTerm[node] = (term, role)
    }

    /// A node that restarts must come back in a term at least as high as any it acted in: its
    /// term and vote reach disk before it leads or votes, or a crash lets it act in that term a
    /// second time, differently.
    func checkRestart(node: NodeID, durableTerm: UInt64) -> String? {
        guard let acted = actedTerm[node], acted.term > durableTerm else { return nil }
        return "durable term went backwards: node \(node) restarted at term \(durableTerm) after acting as \(acted.role) in term \(acted.term)"
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

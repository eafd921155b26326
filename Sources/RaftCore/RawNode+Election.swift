extension RawNode {
    mutating func tickElection() {
        electionElapsed += 1
        if isPromotable && electionElapsed >= randomizedElectionTimeout && !hasWonAwaitingDisk {
            electionElapsed = 0
            hup(transfer: false)
        }
    }

    /// Whether this candidate has a majority and waits only for its own term and vote to reach
    /// disk. Campaigning again then would throw the won election away for a new term and a new
    /// write to wait for, over and over on a slow disk; a higher term from a peer still ends it.
    var hasWonAwaitingDisk: Bool {
        guard case .candidate(let c) = role, !termIsDurable else { return false }
        return confState.quorum.voteResult({ c.votes[$0] }) == .won
    }

    /// Whether a committed membership change is still waiting to be applied; campaigning
    /// then could use a stale configuration.
    var hasUnappliedConfChanges: Bool {
        guard log.committed > log.applied else { return false }
        var i = log.applied + 1
        while i <= log.committed {
            if let e = log.entry(i), e.kind == .confChange { return true }
            i += 1
        }
        return false
    }

    mutating func hup(transfer: Bool) {
        if isLeader || !isPromotable || hasUnappliedConfChanges { return }
        if config.preVote && !transfer {
            campaign(pre: true, transfer: false)
        } else {
            campaign(pre: false, transfer: transfer)
        }
    }

    mutating func campaign(pre: Bool, transfer: Bool) {
        let voteTerm: UInt64
        if pre {
            becomePreCandidate()
            voteTerm = term + 1
            // Our own pre-vote changes nothing durable: count it now.
            if case .preCandidate(var c) = role {
                c.votes[id] = true
                role = .preCandidate(c)
            }
        } else {
            becomeCandidate()
            voteTerm = term
            // Our own vote counts only once term and vote are durable (see advance).
        }
        if tallyVotes() { return }
        for voter in confState.quorum.voterIDs where voter != id {
            var m = Message(kind: pre ? .preVote : .vote, from: id, to: voter, term: voteTerm)
            m.index = log.lastIndex
            m.logTerm = log.lastTerm
            if transfer { m.context = Message.transferContext }
            msgs.append(m)
        }
    }

    /// Whether this node's current term and its vote for itself are on disk.
    var termIsDurable: Bool {
        persistedHardState.term == term && persistedHardState.vote == id
    }

    /// Counts votes; moves on when the election is decided. Returns whether it was.
    @discardableResult
    mutating func tallyVotes() -> Bool {
        let votes: [NodeID: Bool]
        let pre: Bool
        switch role {
        case .preCandidate(let c):
            votes = c.votes
            pre = true
        case .candidate(let c):
            votes = c.votes
            pre = false
        default:
            return false
        }
        switch confState.quorum.voteResult({ votes[$0] }) {
        case .won:
            if pre {
                campaign(pre: false, transfer: false)
                return true
            }
            // The peers' votes alone can make a majority while this candidate's own term and vote
            // are still on their way to disk. A leader acts in its term (it appends entries of it,
            // answers reads), so it waits for them: a crash before the write would otherwise
            // bring it back in the previous term, and the peers, having voted for it, would elect
            // it for the same term a second time, with other entries at the same indexes.
            // ``advance(_:)`` tallies again once they are durable.
            guard termIsDurable || defects.contains(.leadBeforeDurableTerm) else { return false }
            becomeLeader()
            return true
        case .lost:
            becomeFollower(term: term, leader: nil)
            return true
        case .pending:
            return false
        }
    }
}

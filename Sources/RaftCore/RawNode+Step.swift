extension RawNode {
    /// Feeds a message from another member. Stale, duplicate and reordered messages are
    /// recognised and ignored (or answered so the sender catches up); a message for another
    /// node is ignored.
    public mutating func step(_ m: Message) {
        guard m.to == id, m.from != id else { return }
        if m.term > term {
            if m.isVoteRequest {
                let force = m.context == Message.transferContext
                let inLease = config.checkQuorum && leaderID != nil && electionElapsed < config.electionTick
                // A member that hears from a leader ignores disruptive candidates (§4.2.3).
                if !force && inLease { return }
            }
            switch m.kind {
            case .preVote:
                break  // A pre-vote never changes the receiver's term.
            case .preVoteResponse where !m.reject:
                break  // The term we would campaign in; counted below.
            case .append, .heartbeat, .snapshot:
                becomeFollower(term: m.term, leader: m.from)
            default:
                becomeFollower(term: m.term, leader: nil)
            }
        } else if m.term < term {
            if (config.checkQuorum || config.preVote) && (m.kind == .append || m.kind == .heartbeat) {
                // Tell a stale leader about the newer term, so it steps down.
                msgs.append(Message(kind: .appendResponse, from: id, to: m.from, term: term))
            } else if m.kind == .preVote {
                var r = Message(kind: .preVoteResponse, from: id, to: m.from, term: term)
                r.reject = true
                msgs.append(r)
            }
            return
        }

        switch m.kind {
        case .preVote, .vote:
            handleVoteRequest(m)
            return
        default:
            break
        }
        switch role {
        case .leader: stepLeader(m)
        case .preCandidate, .candidate: stepCandidate(m)
        case .follower: stepFollower(m)
        }
    }

    mutating func handleVoteRequest(_ m: Message) {
        let isPre = m.kind == .preVote
        var canVote =
            vote == m.from || (vote == nil && leaderID == nil) || (isPre && m.term > term)
        if defects.contains(.voteTwice) && !isPre { canVote = true }
        let upToDate =
            log.isUpToDate(index: m.index, term: m.logTerm) || defects.contains(.skipLogUpToDateCheck)
        let kind: Message.Kind = isPre ? .preVoteResponse : .voteResponse
        if canVote && upToDate {
            // A pre-vote answer carries the term it is for; a real vote is already in it.
            let r = Message(kind: kind, from: id, to: m.from, term: m.term)
            if isPre {
                msgs.append(r)
            } else {
                electionElapsed = 0
                vote = m.from
                sendAfterPersist(r)
            }
        } else {
            var r = Message(kind: kind, from: id, to: m.from, term: term)
            r.reject = true
            msgs.append(r)
        }
    }

    /// Queues a message that acknowledges durable state (a vote, appended entries).
    mutating func sendAfterPersist(_ m: Message) {
        if defects.contains(.ackBeforePersist) { msgs.append(m) } else { msgsAfterPersist.append(m) }
    }

    mutating func stepFollower(_ m: Message) {
        switch m.kind {
        case .append:
            electionElapsed = 0
            role = .follower(FollowerState(leader: m.from))
            handleAppend(m)
        case .heartbeat:
            electionElapsed = 0
            role = .follower(FollowerState(leader: m.from))
            handleHeartbeat(m)
        case .snapshot:
            electionElapsed = 0
            role = .follower(FollowerState(leader: m.from))
            handleSnapshot(m)
        case .timeoutNow:
            hup(transfer: true)
        case .readIndexResponse:
            readStates.append(ReadState(index: m.index, context: m.context))
        case .transferLeader:
            if let l = leaderID {
                var f = m
                f.from = id
                f.to = l
                msgs.append(f)
            }
        default:
            break  // Stale responses and forwards that reached a non-leader.
        }
    }

    mutating func handleAppend(_ m: Message) {
        var r = Message(kind: .appendResponse, from: id, to: m.from, term: term)
        if m.index < log.committed {
            r.index = log.committed
            sendAfterPersist(r)
            return
        }
        if let lastNew = log.maybeAppend(prevIndex: m.index, prevTerm: m.logTerm, entries: m.entries) {
            noteCommittedTruncation()
            log.commitTo(min(m.commit, lastNew))
            r.index = lastNew
        } else {
            let hint = log.findConflictByTerm(index: min(m.index, log.lastIndex), term: m.logTerm)
            r.reject = true
            r.index = m.index
            r.rejectHint = hint.index
            r.logTerm = hint.term
        }
        sendAfterPersist(r)
    }

    mutating func noteCommittedTruncation() {
        if log.committedTruncated {
            log.committedTruncated = false
            precondition(!defects.isEmpty, "leader overwrote a committed entry")
            safetyFault = safetyFault ?? "node \(id): a committed entry was overwritten"
        }
    }

    mutating func handleHeartbeat(_ m: Message) {
        log.commitTo(min(m.commit, log.lastIndex))
        var r = Message(kind: .heartbeatResponse, from: id, to: m.from, term: term)
        r.context = m.context
        msgs.append(r)
    }

    mutating func handleSnapshot(_ m: Message) {
        guard let s = m.snapshot else { return }
        var r = Message(kind: .appendResponse, from: id, to: m.from, term: term)
        let meta = s.metadata
        if meta.index <= log.committed {
            r.index = log.committed
        } else if log.matchTerm(meta.index, meta.term) {
            // The log already holds the snapshot's last entry: just commit up to it.
            log.commitTo(meta.index)
            r.index = log.committed
        } else {
            log.restore(s)
            confState = meta.confState
            r.index = log.lastIndex
        }
        sendAfterPersist(r)
    }

    mutating func stepCandidate(_ m: Message) {
        switch m.kind {
        case .append:
            becomeFollower(term: m.term, leader: m.from)
            handleAppend(m)
        case .heartbeat:
            becomeFollower(term: m.term, leader: m.from)
            handleHeartbeat(m)
        case .snapshot:
            becomeFollower(term: m.term, leader: m.from)
            handleSnapshot(m)
        case .preVoteResponse, .voteResponse:
            switch role {
            case .preCandidate(var c) where m.kind == .preVoteResponse:
                c.votes[m.from] = !m.reject
                role = .preCandidate(c)
            case .candidate(var c) where m.kind == .voteResponse:
                c.votes[m.from] = !m.reject
                role = .candidate(c)
            default:
                return
            }
            tallyVotes()
        default:
            break
        }
    }
}

/// The decision: at most one operation and one write at a time, derived each time from the view,
/// the observation and what is under way.
extension BridgeCore {
    mutating func decide() {
        guard let view, let server else { return }
        let me = settings.node
        let running = server.running

        // A data directory that cannot be used, or belongs to another cluster, is left alone.
        switch server.dataDirectory {
        case .unusable(let why):
            return refuse(view, why)
        case .initialized(let control):
            if let t = view.topology, t.systemIdentifier != 0, control.systemIdentifier != t.systemIdentifier {
                return refuse(
                    view,
                    "the data directory belongs to another database cluster (system identifier \(control.systemIdentifier); this cluster's is \(t.systemIdentifier)): it is never joined; move it away and the node is cloned from the primary")
            }
        case .empty:
            break
        }

        // Fencing comes before anything else (once the operation under way, if any, has ended).
        if let running, !running.inRecovery, running.synchronousStandbyNames != SynchronousStandbys.fence, !mayAcknowledge(view),
            !settings.defects.contains(.noFencing)
        {
            log(.warning, "fencing the primary: its node does not lead with the topology naming it for term \(view.term)")
            return perform(.setSynchronousStandbys(SynchronousStandbys.fence), force: true)
        }
        guard operation == nil else { return }

        if case .empty = server.dataDirectory { return makeDataDirectory(view) }
        claimSeenSinceMs = nil
        if let t = view.topology, t.systemIdentifier != 0, markBranchNeeded(t, running) {
            return perform(.markBranch(t.branch))
        }
        if let t = view.topology, t.systemIdentifier == 0, t.primary == me {
            // This node's initdb made the new cluster: record its identifier (leading or not, so
            // that no other leader takes the bootstrap over); the leader then starts it.
            publish(.preparing, "recording the new cluster's system identifier")
            return write(.topology(Topology(primary: me, term: t.term, timeline: 1, branch: t.branch, systemIdentifier: systemIdentifier), expectedRevision: view.topologyRevision))
        }
        if view.leader == me {
            decideAsLeader(view, running)
        } else {
            leaderServerDownSinceMs = nil
            decideAsFollower(view, running)
        }
    }

    /// The server cannot be used: say why, and let a node whose server can serve lead.
    private mutating func refuse(_ view: ClusterView, _ why: String) {
        if view.leader == settings.node, let other = bestOtherVoter(view) {
            transferLeadership(to: other, because: "this node's data directory cannot be used")
        }
        publish(.refused, why)
    }

    /// Whether the data directory's branch mark should move up to the record's: this node is the
    /// recorded primary running as one (its choice began the branch), or its standby streams from
    /// it and holds at least the WAL the branch began at (its WAL is then a prefix of the primary's
    /// that reaches into the branch; before that it is still only a prefix of the branch it came
    /// from, and ranking it on the new one would put it above a server that holds more of the old).
    /// A mark never moves down on a record, which may be an older one replayed after a restart (a
    /// rewind copies the primary's mark).
    func markBranchNeeded(_ t: Topology, _ running: ServerObservation.Running?) -> Bool {
        guard let running, let server, t.branch > server.branch else { return false }
        if t.primary == settings.node { return !running.inRecovery }
        return running.inRecovery && running.streamingFrom == t.primary && running.flushed >= t.branchStart
    }

    /// Whether this node's server may acknowledge commits: its node leads and the committed
    /// topology names it for this term.
    func mayAcknowledge(_ view: ClusterView) -> Bool {
        view.leader == settings.node && view.topology?.primary == settings.node && view.topology?.term == view.term
    }

    /// The data directory is empty: the first leader of a new cluster claims the bootstrap through
    /// the log and runs initdb; a member clones the primary.
    private mutating func makeDataDirectory(_ view: ClusterView) {
        let me = settings.node
        let leads = view.leader == me
        guard let t = view.topology else {
            guard leads else { return publish(.stopped, "no data directory yet: waiting for the first primary") }
            // Claimed first, so that a leader change during the bootstrap cannot make two clusters.
            publish(.preparing, "a new cluster: claiming its bootstrap")
            return write(.topology(Topology(primary: me, term: view.term, timeline: 0, branch: view.term, systemIdentifier: 0), expectedRevision: view.topologyRevision))
        }
        if t.systemIdentifier == 0 {
            // A bootstrap is under way: the claimant makes the server; another leader takes the
            // bootstrap over only if nothing comes of the claim within the start timeout.
            guard leads else { return publish(.stopped, "no data directory yet: node \(t.primary) is making the new cluster") }
            guard t.primary == me else {
                let since = claimSeenSinceMs ?? now
                claimSeenSinceMs = since
                guard now - since >= settings.startTimeoutMs else {
                    return publish(.stopped, "no data directory yet: node \(t.primary) is making the new cluster")
                }
                publish(.preparing, "taking over the bootstrap that node \(t.primary) claimed and did not complete")
                return write(.topology(Topology(primary: me, term: view.term, timeline: 0, branch: view.term, systemIdentifier: 0), expectedRevision: view.topologyRevision))
            }
            publish(.preparing, "a new cluster: initdb")
            return perform(.initdb)
        }
        if t.primary != me {
            // Say that this node holds nothing, so a new leader need not wait for it.
            if view.leader != 0, reportedTerm < view.term, writing == nil {
                write(.report(MemberReport(node: me, term: view.term, role: .none, timeline: 0, branch: 0, position: .zero)))
            }
            if leads, let other = bestOtherVoter(view), let report = view.reports[other], report.term == view.term, report.role != .none {
                // A leader without a server cannot become the primary: a voter with one should lead.
                transferLeadership(to: other, because: "this node has no data directory yet")
            }
            publish(.preparing, "cloning the primary (node \(t.primary)) by base backup")
            return perform(.baseBackup(from: t.primary))
        }
        guard leads else { return publish(.stopped, "no data directory, and the record names this node primary: waiting for another leader") }
        // This node is the recorded primary but its data is gone: someone else must lead.
        if let other = bestOtherVoter(view) {
            transferLeadership(to: other, because: "this node is the recorded primary but its data directory is empty")
        }
        publish(.stopped, "the data directory of the recorded primary is empty")
    }

    /// Whether the data directory was last a primary's (not set up as a standby).
    var isPrimaryDirectory: Bool {
        if case .initialized(let c) = server?.dataDirectory { return !c.isStandby }
        return false
    }

    var systemIdentifier: UInt64 {
        if case .initialized(let c) = server?.dataDirectory { return c.systemIdentifier }
        return 0
    }

    // MARK: - Leader

    private mutating func decideAsLeader(_ view: ClusterView, _ running: ServerObservation.Running?) {
        let me = settings.node
        guard let t = view.topology else {
            // A new cluster whose first leader was given a data directory: claim the bootstrap, then
            // record that directory's identifier (it is adopted, not made anew).
            publish(.preparing, "a new cluster: adopting the data directory given, claiming its bootstrap")
            return write(.topology(Topology(primary: me, term: view.term, timeline: 0, branch: view.term, systemIdentifier: 0), expectedRevision: view.topologyRevision))
        }
        guard t.systemIdentifier != 0 else { return }
        guard t.primary == me else {
            guard let running else {
                // A leader whose server does not start cannot become the primary: after the start
                // timeout, a voter whose server runs should lead.
                let since = leaderServerDownSinceMs ?? now
                leaderServerDownSinceMs = since
                if now - since >= settings.startTimeoutMs, let other = bestOtherVoter(view, withServer: true) {
                    transferLeadership(to: other, because: "this node's server has not started within \(settings.startTimeoutMs) ms")
                }
                return startServer(view, standbyOf: nil)
            }
            leaderServerDownSinceMs = nil
            return chooseNewPrimary(view, running)
        }
        // This node's server is the recorded primary.
        guard let running else { return restartPrimaryInPlace(view) }
        primaryDownSinceMs = nil
        if t.term != view.term {
            guard !running.inRecovery else { return chooseNewPrimary(view, running) }
            // Leadership came back (or moved here for a moment): renew the record, no failover.
            publish(.fencedPrimary, "renewing the topology for term \(view.term)")
            return write(.topology(t.renewed(term: view.term, timeline: running.timeline), expectedRevision: view.topologyRevision))
        }
        let wanted = SynchronousStandbys.value(mode: settings.synchronous, node: me, voters: view.voters, members: view.members)
        if running.inRecovery {
            // The record is committed: quorum commit first, then the promotion. (The defect
            // promotes with none, and sets them once the server is a primary.)
            let beforePromotion = settings.defects.contains(.asyncAfterPromotion) ? "" : wanted
            if running.synchronousStandbyNames != beforePromotion {
                publish(.promoting, "setting the synchronous standbys before the promotion")
                return perform(.setSynchronousStandbys(beforePromotion))
            }
            publish(.promoting, "promoting: the topology names this node for term \(view.term)")
            return perform(.promote)
        }
        // (The defect leaves a new primary asynchronous for half an election timeout.)
        let defectiveDelay = settings.defects.contains(.asyncAfterPromotion) && now - promotedAtMs < settings.electionTimeoutMs / 2
        if running.synchronousStandbyNames != wanted, !defectiveDelay {
            log(.info, "primary for term \(view.term): synchronous_standby_names = '\(wanted)'")
            return perform(.setSynchronousStandbys(wanted))
        }
        let others = view.members.filter { $0 != me }.sorted()
        if slotsKept != others { return perform(.keepSlots(others)) }
        if t.timeline != running.timeline, writing == nil {
            write(.topology(t.renewed(term: view.term, timeline: running.timeline), expectedRevision: view.topologyRevision))
        }
        publish(.primary, "the writable primary (term \(view.term), timeline \(running.timeline))")
    }

    /// The recorded primary's server is down on the leading node: start it again in place, or hand
    /// leadership over when it does not come back within the start timeout.
    private mutating func restartPrimaryInPlace(_ view: ClusterView) {
        let since = primaryDownSinceMs ?? now
        primaryDownSinceMs = since
        if now - since >= settings.startTimeoutMs {
            let target = bestOtherVoter(view)
            if let target { transferLeadership(to: target, because: "the primary's server did not come back within \(settings.startTimeoutMs) ms") }
            return publish(.stopped, "the primary's server does not start; leadership goes elsewhere")
        }
        publish(.stopped, "the primary's server is down: starting it again in place")
        perform(.start(standby: !isPrimaryDirectory, upstream: nil))
    }

    /// The voter other than this node with the most advanced report, else any other voter; with
    /// `withServer`, only one whose report for this term says it has a server.
    func bestOtherVoter(_ view: ClusterView, withServer: Bool = false) -> UInt64? {
        let me = settings.node
        let others = view.voters.filter { $0 != me }
        let reported = others.compactMap { view.reports[$0] }
            .filter { !withServer || ($0.term == view.term && $0.role != .none) }
            .sorted { $0.isAhead(of: $1) || (!$1.isAhead(of: $0) && $0.node < $1.node) }
        return reported.first?.node ?? (withServer ? nil : others.first)
    }

    /// A leader whose server is not the recorded primary: stop streaming, report, wait for a
    /// majority's reports, then hand leadership to a server that is ahead or record this one.
    private mutating func chooseNewPrimary(_ view: ClusterView, _ running: ServerObservation.Running) {
        let me = settings.node
        let skipCheck = settings.defects.contains(.promoteWithoutPositionCheck)
        // A record naming this node is on its way: its outcome decides, not a report arriving meanwhile.
        if case .topology = writing { return }
        if running.inRecovery, pointedAt != .some(nil) {
            if let t = view.topology, t.primary != me, running.streamingFrom == t.primary, waitingForHiccup(view, primary: t.primary) { return }
            publish(.standby, "leading term \(view.term): no longer streaming from the old primary")
            return perform(.follow(upstream: nil))
        }
        let mine = MemberReport(node: me, term: view.term, role: running.inRecovery ? .standby : .primary, timeline: running.timeline, branch: server!.branch, position: running.flushed)
        if !skipCheck {
            if reportedTerm < view.term {
                guard !running.inRecovery || running.walExhausted else {
                    return publish(.standby, "leading term \(view.term): replaying the WAL this server holds before recording its position")
                }
                publish(running.inRecovery ? .standby : .fencedPrimary, "leading term \(view.term): recording this server's WAL position")
                return write(.report(mine))
            }
            let fresh = view.voters.compactMap { view.reports[$0] }.filter { $0.term == view.term }
            guard fresh.count >= view.majority else {
                return publish(
                    running.inRecovery ? .standby : .fencedPrimary,
                    "leading term \(view.term): waiting for the WAL positions of a majority (\(fresh.count) of \(view.majority))")
            }
            let own = fresh.first { $0.node == me } ?? mine
            // The most advanced; among equals the recorded primary, then this node.
            let preferred: [UInt64] = [view.topology?.primary ?? 0, me]
            let best = fresh.max { a, b in
                if a.isAhead(of: b) || b.isAhead(of: a) { return b.isAhead(of: a) }
                return (preferred.firstIndex(of: a.node) ?? 2, b.node) > (preferred.firstIndex(of: b.node) ?? 2, a.node)
            }!
            if best.node != me && (best.isAhead(of: own) || best.node == view.topology?.primary) {
                publish(running.inRecovery ? .standby : .fencedPrimary, "node \(best.node) is ahead: leadership goes to it")
                return transferLeadership(to: best.node, because: "its server holds \(best.position) on timeline \(best.timeline), this one \(own.position) on \(own.timeline)")
            }
            if settings.synchronous == .off, let last = view.topology.flatMap({ view.reports[$0.primary] }), last.node != me,
                last.branch >= own.branch, last.position.bytes(after: own.position) > settings.maximumLagOnFailover
            {
                return publish(
                    .standby,
                    "not promoting: this server is \(last.position.bytes(after: own.position)) bytes behind the last primary position known, over maximum_lag_on_failover (\(settings.maximumLagOnFailover))")
            }
        }
        // Each choice of a primary begins a branch named by its term, even of a server that is a
        // primary already (its history goes on, but it must rank above any branch abandoned since).
        let record = Topology(
            primary: me, term: view.term, timeline: running.timeline, branch: view.term,
            systemIdentifier: view.topology?.systemIdentifier ?? systemIdentifier,
            branchStart: max(running.flushed, view.reports[me].flatMap { $0.term == view.term ? $0.position : nil } ?? .zero),
            parentBranch: server!.branch)
        if settings.defects.contains(.promoteBeforeTopologyCommit), running.inRecovery {
            write(.topology(record, expectedRevision: view.topologyRevision))
            let wanted = SynchronousStandbys.value(mode: settings.synchronous, node: me, voters: view.voters, members: view.members)
            if running.synchronousStandbyNames != wanted { return perform(.setSynchronousStandbys(wanted)) }
            return perform(.promote)
        }
        publish(running.inRecovery ? .standby : .fencedPrimary, "recording this node as the primary for term \(view.term)")
        write(.topology(record, expectedRevision: view.topologyRevision))
    }

    /// Whether this new leader, whose server still streams from the recorded primary, waits for
    /// that primary's node to come back rather than failing it over. A server that still streams
    /// lives and reaches this one: the leadership change is more likely a Raft hiccup on its node
    /// (a network blip, a consensus or transport restart) than its loss. For up to
    /// ``BridgeSettings/hiccupGraceMs`` this leader keeps streaming from it, and hands leadership
    /// back as soon as its node reports for the term; after that (or once the stream breaks, as it
    /// does at once when the primary's host dies) the failover goes ahead. Waiting is safe: the
    /// primary can acknowledge meanwhile only what the reports made after it will show.
    /// The wait ends too when the primary's node reports that its server is not a primary: then
    /// the usual choice decides.
    ///
    /// A node that handed leadership back less than ten election timeouts ago, in an earlier term,
    /// does not wait again: a primary whose node keeps losing its Raft quorum would otherwise cost
    /// pause after pause and never be failed over.
    mutating func waitingForHiccup(_ view: ClusterView, primary: UInt64) -> Bool {
        if let back = handedBack, back.term < view.term, now - back.atMs < 10 * settings.electionTimeoutMs { return false }
        if hiccup?.term != view.term { hiccup = (view.term, now) }
        guard let since = hiccup?.sinceMs, now - since < settings.hiccupGraceMs else { return false }
        if let report = view.reports[primary], report.term == view.term {
            // A primary holds all a standby streaming from it has (its report may be older than
            // WAL it wrote since, fenced): only one that is no primary ends the wait.
            guard report.role == .primary else {
                hiccup = (view.term, .min / 2)
                return false
            }
            transferLeadership(to: primary, because: "the recorded primary's node is back, and its server still streams to this one")
            handedBack = (view.term, now)
            publish(.standby, "leading term \(view.term): handing leadership back to the primary's node \(primary)")
            return true
        }
        publish(
            .standby,
            "leading term \(view.term): the primary (node \(primary)) still streams to this server; waiting up to \(settings.hiccupGraceMs) ms for its node before failing it over")
        return true
    }

    // MARK: - Follower

    private mutating func decideAsFollower(_ view: ClusterView, _ running: ServerObservation.Running?) {
        let me = settings.node
        let leader = view.leader == me ? 0 : view.leader
        guard let running else { return startServer(view, standbyOf: leader == 0 ? nil : leader) }
        if !running.inRecovery {
            // A primary whose node does not lead: fenced already; stopped once another is recorded
            // in this term by the leader (an older record may be stale, and a server started fenced
            // to report would only be stopped again, never reporting: see startServer).
            if let t = view.topology, t.primary != me, t.term == view.term, view.leader == t.primary, !settings.defects.contains(.noFencing) {
                publish(.fencedPrimary, "node \(t.primary) is the recorded primary: stopping this one to rejoin as its standby")
                mustRewind = true
                return perform(.stop)
            }
            if leader != 0, reportedTerm < view.term {
                write(.report(MemberReport(node: me, term: view.term, role: .primary, timeline: running.timeline, branch: server!.branch, position: running.flushed)))
            }
            return publish(settings.defects.contains(.noFencing) ? .primary : .fencedPrimary, "fenced: the node does not lead")
        }
        guard leader != 0 else { return publish(.standby, "no leader known; keeping the current upstream") }
        if pointedAt != .some(leader) {
            publish(.standby, "following the leader, node \(leader)")
            return perform(.follow(upstream: leader))
        }
        // Only once its WAL receiver streams from nobody or from the leader: a receiver still
        // attached to the old primary could confirm commits there after the report.
        if reportedTerm < view.term, running.streamingFrom == leader || (running.streamingFrom == nil && running.walExhausted) {
            write(.report(MemberReport(node: me, term: view.term, role: .standby, timeline: running.timeline, branch: server!.branch, position: running.flushed)))
        }
        // A standby that cannot stream from the recorded primary for long, and whose history the
        // record cannot show to be a prefix of the primary's, may hold WAL the primary never had:
        // rewind it (pg_rewind finds out, and does nothing when the histories agree). One that the
        // record shows to be a prefix is given much longer, since the cause is likely elsewhere
        // (the network, the primary's pg_hba.conf), but not forever: a mark that never moved (its
        // bridge died first) can make a fork look like a prefix.
        if let t = view.topology, t.primary == leader, t.term == view.term, running.streamingFrom != leader {
            let since = notStreamingSinceMs ?? now
            notStreamingSinceMs = since
            let patience = t.isPrefix(branch: server!.branch, position: running.flushed) ? Self.prefixPatience * settings.startTimeoutMs : settings.startTimeoutMs
            if now - since >= patience {
                log(.warning, "not streaming from the primary (node \(leader)) for \(now - since) ms: rewinding this standby")
                notStreamingSinceMs = nil
                mustRewind = true
                return perform(.stop)
            }
        } else {
            notStreamingSinceMs = nil
        }
        let streaming = running.streamingFrom == leader
        publish(.standby, streaming ? "streaming from node \(leader)" : "waiting to stream from node \(leader)")
    }

    /// How many start timeouts a standby the record shows to be a prefix may go without streaming
    /// before it is rewound all the same.
    static let prefixPatience: Int64 = 4

    /// The server is down: rewind it first if its history may have left the primary's, then start
    /// it (a standby of `upstream`, or the fenced primary it was when the record still names it).
    private mutating func startServer(_ view: ClusterView, standbyOf upstream: UInt64?) {
        let me = settings.node
        let recordedPrimary = view.topology?.primary
        if let primary = recordedPrimary, primary != me, isPrimaryDirectory || mustRewind {
            // Only to a primary chosen in this term, by the leader: after a restart the replicated
            // state may still show an older record, and rewinding to it could drop acknowledged
            // commits this server holds.
            guard view.topology?.term == view.term, view.leader == primary else {
                // Until a primary is chosen in this term the server runs as the fenced primary it
                // was, so that it can report its position (it may hold what the others lack).
                publish(.stopped, "starting the former primary, fenced, until a primary is chosen for term \(view.term)")
                return perform(.start(standby: false, upstream: nil))
            }
            if settings.useRewind {
                publish(.preparing, "rewinding the former primary's data directory from node \(primary)")
                return perform(.rewind(from: primary))
            }
            publish(.preparing, "cloning anew from node \(primary) (use_pg_rewind is off)")
            return perform(.reclone(from: primary))
        }
        if isPrimaryDirectory, recordedPrimary == me || recordedPrimary == nil {
            publish(.stopped, "starting the server (fenced until this node leads)")
            return perform(.start(standby: false, upstream: nil))
        }
        publish(.stopped, "starting the server as a standby")
        perform(.start(standby: true, upstream: upstream))
    }
}

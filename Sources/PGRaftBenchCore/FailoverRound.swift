/// What one round of the failover trial recorded, in the order it happens: the primary's host is
/// killed, the writer's commits move to a new primary, the old host is started again and its
/// server streams, the writer stops. ``figures(lost:)`` turns it into the round's figures.
///
/// Every time is in milliseconds on the benchmark's one monotonic clock.
public struct FailoverRound: Sendable, Equatable {
    /// The round's number, from 1.
    public var number: Int
    /// The node that was primary and whose host was killed.
    public var killedNode: String
    /// When the kill command was started.
    public var killIssuedAtMs: Double
    /// When the kill command returned: from then on every process of the host is gone, so this is
    /// the moment failover time counts from.
    public var killedAtMs: Double
    /// Every commit acknowledged during the round, in the order the writer saw them.
    public var acknowledgements: [Acknowledgement] = []
    /// When the start command was started (the moment rejoin time counts from); nil until then.
    public var restartIssuedAtMs: Double?
    /// When the old node's server was first seen streaming (`pg_stat_wal_receiver.status =
    /// 'streaming'`); nil if it never was within the deadline.
    public var streamingAtMs: Double?
    /// When the writer stopped: the end of the round.
    public var endedAtMs: Double = 0

    /// A round whose host `killedNode` was killed between `killIssuedAtMs` and `killedAtMs`.
    public init(number: Int, killedNode: String, killIssuedAtMs: Double, killedAtMs: Double) {
        self.number = number
        self.killedNode = killedNode
        self.killIssuedAtMs = killIssuedAtMs
        self.killedAtMs = killedAtMs
    }

    /// The first commit acknowledged by another node after the kill: the new primary's first.
    ///
    /// An acknowledgement from the killed node is never counted, even one stamped after the kill
    /// (it left the server before the kill and reached the writer late).
    public var firstOnNewPrimary: Acknowledgement? {
        acknowledgements.first { $0.node != killedNode && $0.atMs >= killedAtMs }
    }

    /// The ids of every commit acknowledged in the round.
    public var acknowledgedIDs: IDRanges { acknowledgements.ids }

    /// How long the new primary acknowledged commits with no synchronous standby: from its first
    /// acknowledged commit until the first acknowledgement after which its `pg_stat_replication`
    /// showed a standby in state `sync` or `quorum`. Zero when its first commit already had one;
    /// the rest of the round, marked asynchronous, when none ever did. Nil before a failover.
    public var withoutSynchronousStandby: SynchronousGap? {
        guard let first = firstOnNewPrimary else { return nil }
        let onNewPrimary = acknowledgements.filter { $0.node == first.node && $0.atMs >= first.atMs }
        guard let synchronous = onNewPrimary.firstIndex(where: { $0.synchronousStandbys > 0 }) else {
            return SynchronousGap(milliseconds: endedAtMs - first.atMs, commits: onNewPrimary.count, asynchronous: true)
        }
        return SynchronousGap(
            milliseconds: onNewPrimary[synchronous].atMs - first.atMs, commits: synchronous, asynchronous: false)
    }

    /// The round's figures, given the acknowledged ids (of this round or any before it) that the
    /// primary's table was found without at the end of this round and not already reported.
    public func figures(lost: IDRanges) -> FailoverFigures {
        let first = firstOnNewPrimary
        return FailoverFigures(
            round: number, killedNode: killedNode, newPrimary: first?.node,
            killCommandMs: killedAtMs - killIssuedAtMs,
            failoverMs: first.map { $0.atMs - killedAtMs },
            rejoinMs: restartIssuedAtMs.flatMap { start in streamingAtMs.map { $0 - start } },
            acknowledged: acknowledgements.count, lost: Int(lost.count), lostSample: lost.first(10),
            withoutSynchronousStandby: withoutSynchronousStandby, roundMs: endedAtMs - killIssuedAtMs)
    }
}

/// The span after a promotion in which commits were acknowledged with no synchronous standby.
public struct SynchronousGap: Sendable, Equatable, Codable {
    /// Its length in milliseconds.
    public var milliseconds: Double
    /// The commits acknowledged in it.
    public var commits: Int
    /// True when no commit on the new primary ever had a synchronous standby: asynchronous
    /// replication, and the span is the whole rest of the round.
    public var asynchronous: Bool

    /// A gap with these values.
    public init(milliseconds: Double, commits: Int, asynchronous: Bool) {
        self.milliseconds = milliseconds
        self.commits = commits
        self.asynchronous = asynchronous
    }
}

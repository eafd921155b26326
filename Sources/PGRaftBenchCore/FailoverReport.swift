/// The failover trial's result: every round's figures and their p50 and maximum, as a Markdown
/// table (``table``) or as JSON (the type is `Codable`).
public struct FailoverReport: Sendable, Equatable, Codable {
    /// The nodes the trial ran against.
    public var nodes: [FailoverNode]
    /// The rounds, in order.
    public var rounds: [FailoverFigures]
    /// The figures over all rounds.
    public var summary: Summary

    /// The p50 and maximum of each figure over the rounds that have it.
    public struct Summary: Sendable, Equatable, Codable {
        /// Failover time (kill → first commit on the new primary).
        public var failoverMs: Spread?
        /// Acknowledged commits lost per round.
        public var lost: Spread?
        /// Acknowledged commits lost in all rounds.
        public var lostTotal: Int
        /// Time with commits acknowledged and no synchronous standby, per round.
        public var withoutSynchronousStandbyMs: Spread?
        /// Rounds in which no commit on the new primary ever had a synchronous standby (their
        /// time without one is the whole rest of the round).
        public var asynchronousRounds: Int
        /// Rejoin time (start → streaming).
        public var rejoinMs: Spread?
    }

    /// The report of `rounds` run against `nodes`.
    public init(nodes: [FailoverNode], rounds: [FailoverFigures]) {
        self.nodes = nodes
        self.rounds = rounds
        let gaps = rounds.compactMap(\.withoutSynchronousStandby)
        summary = Summary(
            failoverMs: Spread(rounds.compactMap(\.failoverMs)), lost: Spread(rounds.map { Double($0.lost) }),
            lostTotal: rounds.reduce(0) { $0 + $1.lost }, withoutSynchronousStandbyMs: Spread(gaps.map(\.milliseconds)),
            asynchronousRounds: gaps.filter(\.asynchronous).count, rejoinMs: Spread(rounds.compactMap(\.rejoinMs)))
    }

    /// The summary as a Markdown table: one row per figure, its p50 and its maximum.
    public var table: String {
        func ms(_ spread: Spread?) -> (String, String) {
            spread.map { (Milliseconds.text($0.p50), Milliseconds.text($0.max)) } ?? ("–", "–")
        }
        var rows: [(String, (String, String))] = []
        rows.append(("failover: kill → first commit on the new primary", ms(summary.failoverMs)))
        rows.append(
            ("acknowledged commits lost (\(summary.lostTotal) in all)",
             summary.lost.map { (Milliseconds.grouped(Int($0.p50)), Milliseconds.grouped(Int($0.max))) } ?? ("–", "–")))
        var gapLabel = "time without a synchronous standby after the promotion"
        if summary.asynchronousRounds > 0 {
            gapLabel += " (async in \(summary.asynchronousRounds) of \(rounds.count) rounds: the whole round)"
        }
        rows.append((gapLabel, ms(summary.withoutSynchronousStandbyMs)))
        rows.append(("rejoin: start of the old primary → streaming", ms(summary.rejoinMs)))
        var lines = ["| figure, \(rounds.count) round\(rounds.count == 1 ? "" : "s") | p50 | max |", "| --- | --- | --- |"]
        lines += rows.map { "| \($0.0) | \($0.1.0) | \($0.1.1) |" }
        return lines.joined(separator: "\n")
    }
}

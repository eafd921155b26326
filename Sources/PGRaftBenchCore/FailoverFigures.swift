/// One round's figures: what `pgraft-bench pg-failover` prints per round and puts in `--json`.
public struct FailoverFigures: Sendable, Equatable, Codable {
    /// The round's number, from 1.
    public var round: Int
    /// The node whose host was killed (the primary).
    public var killedNode: String
    /// The node that acknowledged the first commit after the kill; nil if none did in time.
    public var newPrimary: String?
    /// How long the kill command ran.
    public var killCommandMs: Double
    /// Failover time: from the kill until the new primary's first acknowledged commit.
    public var failoverMs: Double?
    /// Rejoin time: from the start command until the old node's server streams; nil if it did
    /// not within the deadline.
    public var rejoinMs: Double?
    /// Commits acknowledged during the round.
    public var acknowledged: Int
    /// Acknowledged commits (of this round or an earlier one) first found missing from the primary
    /// at the end of this round.
    public var lost: Int
    /// Up to ten of the lost ids.
    public var lostSample: [Int64]
    /// The span after the promotion with commits acknowledged and no synchronous standby.
    public var withoutSynchronousStandby: SynchronousGap?
    /// The round's length, from the kill command to the writer's stop.
    public var roundMs: Double

    /// Figures with these values.
    public init(
        round: Int, killedNode: String, newPrimary: String?, killCommandMs: Double, failoverMs: Double?, rejoinMs: Double?,
        acknowledged: Int, lost: Int, lostSample: [Int64], withoutSynchronousStandby: SynchronousGap?, roundMs: Double
    ) {
        self.round = round
        self.killedNode = killedNode
        self.newPrimary = newPrimary
        self.killCommandMs = killCommandMs
        self.failoverMs = failoverMs
        self.rejoinMs = rejoinMs
        self.acknowledged = acknowledged
        self.lost = lost
        self.lostSample = lostSample
        self.withoutSynchronousStandby = withoutSynchronousStandby
        self.roundMs = roundMs
    }

    /// The round as one line of text.
    public var line: String {
        var parts = ["round \(round): node \(killedNode) killed"]
        if let newPrimary, let failoverMs {
            parts.append("node \(newPrimary) committed \(Milliseconds.text(failoverMs)) later")
        } else {
            parts.append("no commit on another node")
        }
        let sample = lostSample.isEmpty ? "" : " (ids \(lostSample.map(String.init).joined(separator: ", "))\(lost > lostSample.count ? ", …" : ""))"
        parts.append("\(Milliseconds.grouped(lost)) of \(Milliseconds.grouped(acknowledged)) acknowledged commits lost" + sample)
        if let gap = withoutSynchronousStandby {
            parts.append("without a synchronous standby " + gap.text)
        }
        parts.append(rejoinMs.map { "node \(killedNode) streaming \(Milliseconds.text($0)) after its start" } ?? "node \(killedNode) not streaming")
        return parts.joined(separator: "; ")
    }
}

extension SynchronousGap {
    /// `0 ms`, `1,234 ms (56 commits)` or `async: the whole round, 45,678 ms (12,345 commits)`.
    public var text: String {
        let counted = "\(Milliseconds.text(milliseconds)) (\(Milliseconds.grouped(commits)) commit\(commits == 1 ? "" : "s"))"
        if asynchronous { return "async: the whole round, " + counted }
        return commits == 0 ? "0 ms" : counted
    }
}

/// Formatting of the reports' figures, without Foundation.
public enum Milliseconds {
    /// `ms` rounded to a whole millisecond with thousands grouped: `27,345 ms`.
    public static func text(_ ms: Double) -> String { "\(grouped(Int(ms.rounded()))) ms" }

    /// `n` with thousands grouped by commas: `12,345`.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (n < 0 ? "-" : "") + out
    }
}

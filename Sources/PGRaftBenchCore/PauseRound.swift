/// One round of the pause trial: a fault on the primary's node that must not become a failover
/// (a component killed, its Raft transport frozen for a moment), under the writer's commits. ``figures(lost:)``
/// turns it into the round's figures.
///
/// Every time is in milliseconds on the benchmark's one monotonic clock.
public struct PauseRound: Sendable, Equatable {
    /// The round's number, from 1.
    public var number: Int
    /// The primary's node, where the fault was made.
    public var faultedNode: String
    /// When the fault command was started: the pause counts from then.
    public var faultAtMs: Double
    /// Every commit acknowledged during the round, in the order the writer saw them.
    public var acknowledgements: [Acknowledgement] = []
    /// When the writer stopped: the end of the round.
    public var endedAtMs: Double = 0
    /// The node found primary after the round (nil: none was found).
    public var primaryAfter: String?

    /// A round whose fault on `faultedNode` began at `faultAtMs`.
    public init(number: Int, faultedNode: String, faultAtMs: Double) {
        self.number = number
        self.faultedNode = faultedNode
        self.faultAtMs = faultAtMs
    }

    /// The commits acknowledged from the fault on.
    var afterFault: [Acknowledgement] { acknowledgements.filter { $0.atMs >= faultAtMs } }

    /// The longest time from the fault to the end of the round with no commit acknowledged: from
    /// the fault to the first commit after it, between two commits, or from the last commit to the
    /// end (a pause still under way when the round ended counts for as long as it was seen).
    public var longestPauseMs: Double {
        let times = [faultAtMs] + afterFault.map(\.atMs) + [Swift.max(endedAtMs, acknowledgements.last?.atMs ?? 0, faultAtMs)]
        return zip(times, times.dropFirst()).reduce(0) { Swift.max($0, $1.1 - $1.0) }
    }

    /// Whether no commit came after the fault at all.
    public var neverResumed: Bool { afterFault.isEmpty }

    /// The nodes other than the faulted one that acknowledged a commit after the fault, in the
    /// order they first did: a failover happened when there is any.
    public var otherPrimaries: [String] {
        var seen: [String] = []
        for a in afterFault where a.node != faultedNode && !seen.contains(a.node) { seen.append(a.node) }
        // A failover still under way when the writer stopped shows in the primary found after it.
        if let after = primaryAfter, after != faultedNode, !seen.contains(after) { seen.append(after) }
        return seen
    }

    /// The round's figures, given the acknowledged ids found missing from the primary at its end.
    public func figures(lost: IDRanges) -> PauseFigures {
        PauseFigures(
            round: number, faultedNode: faultedNode, pauseMs: longestPauseMs, resumed: !neverResumed, otherPrimaries: otherPrimaries,
            acknowledged: acknowledgements.count, lost: Int(lost.count))
    }
}

/// One round's figures: what `pgraft-bench pg-pause` prints per round and puts in `--json`.
public struct PauseFigures: Sendable, Equatable, Codable {
    /// The round's number, from 1.
    public var round: Int
    /// The primary's node, where the fault was made.
    public var faultedNode: String
    /// The longest write pause after the fault (when writes never resumed, the whole rest of the
    /// round: a lower bound).
    public var pauseMs: Double
    /// Whether any commit came after the fault.
    public var resumed: Bool
    /// Nodes other than the faulted one that acknowledged commits after the fault (a failover).
    public var otherPrimaries: [String]
    /// Commits acknowledged during the round.
    public var acknowledged: Int
    /// Acknowledged commits first found missing from the primary at the end of this round.
    public var lost: Int

    /// Figures with these values.
    public init(round: Int, faultedNode: String, pauseMs: Double, resumed: Bool, otherPrimaries: [String], acknowledged: Int, lost: Int) {
        self.round = round
        self.faultedNode = faultedNode
        self.pauseMs = pauseMs
        self.resumed = resumed
        self.otherPrimaries = otherPrimaries
        self.acknowledged = acknowledged
        self.lost = lost
    }

    /// The round as one line of text.
    public var line: String {
        var parts = ["round \(round): fault on node \(faultedNode)"]
        parts.append(resumed ? "writes paused at most \(Milliseconds.text(pauseMs))" : "NO commit after the fault (\(Milliseconds.text(pauseMs)) seen)")
        parts.append(otherPrimaries.isEmpty ? "same primary" : "FAILOVER to node \(otherPrimaries.joined(separator: ", "))")
        parts.append("\(Milliseconds.grouped(lost)) of \(Milliseconds.grouped(acknowledged)) acknowledged commits lost")
        return parts.joined(separator: "; ")
    }
}

/// The pause trial's result: every round's figures, the pause's p50 and maximum, the failovers
/// and the losses, as a Markdown table (``table``) or as JSON.
public struct PauseReport: Sendable, Equatable, Codable {
    /// The rounds, in order.
    public var rounds: [PauseFigures]
    /// The longest write pause per round.
    public var pauseMs: Spread?
    /// Rounds in which another node acknowledged commits after the fault.
    public var failovers: Int
    /// Rounds in which no commit came after the fault (their pause, a lower bound, is in `pauseMs`).
    public var neverResumed: Int
    /// Acknowledged commits lost in all rounds.
    public var lostTotal: Int

    /// The report of `rounds`.
    public init(rounds: [PauseFigures]) {
        self.rounds = rounds
        pauseMs = Spread(rounds.map(\.pauseMs))
        failovers = rounds.filter { !$0.otherPrimaries.isEmpty }.count
        neverResumed = rounds.filter { !$0.resumed }.count
        lostTotal = rounds.reduce(0) { $0 + $1.lost }
    }

    /// The summary as a Markdown table.
    public var table: String {
        let pause = pauseMs.map { (Milliseconds.text($0.p50), Milliseconds.text($0.max)) } ?? ("–", "–")
        return [
            "| figure, \(rounds.count) round\(rounds.count == 1 ? "" : "s") | p50 | max |", "| --- | --- | --- |",
            "| longest write pause after the fault | \(pause.0) | \(pause.1) |",
            "| rounds with a failover | \(failovers) of \(rounds.count) | |",
            "| rounds in which writes never resumed | \(neverResumed) of \(rounds.count) | |",
            "| acknowledged commits lost | \(Milliseconds.grouped(lostTotal)) in all | |",
        ].joined(separator: "\n")
    }
}

import ArgumentParser

/// `pgraft-bench`: pgraft's benchmarks. Each prints a table of figures measured in this run.
@main
struct PGRaftBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgraft-bench",
        abstract: "Measure pgraft: supervisor restarts and memory, the Raft core, the storage log, the key-value API against etcd.",
        subcommands: [SupervisorBench.self, RaftBench.self, StorageBench.self, KVBench.self, FailoverBench.self, SegmentWorker.self])
}

/// Percentile of sorted values (nearest rank).
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

import ArgumentParser

/// `pgraft-bench`: pgraft's benchmarks. Each prints a table of figures measured in this run.
@main
struct PGRaftBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgraft-bench",
        abstract: "Measure pgraft: supervisor restarts and memory, the Raft core, the storage log, the key-value API against etcd, PostgreSQL failover.",
        subcommands: [
            SupervisorBench.self, RaftBench.self, StorageBench.self, KVBench.self, FailoverBench.self, PGFailoverBench.self, PGPauseBench.self, SoakBench.self,
            SegmentWorker.self,
        ])
}

import ArgumentParser
import Foundation
import PGRaftBenchCore
import PGRaftPostgres

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `pgraft-bench pg-failover`: failover trials against any PostgreSQL high-availability cluster
/// whose nodes each expose a PostgreSQL server and an HTTP endpoint where `GET /primary` answers
/// 200 only on the writable primary (pgraft, Patroni).
///
/// Each round: wait until one node is primary and every other streams from it; a writer commits
/// one row per transaction on the primary; the primary's whole host is killed (`--kill-host`);
/// failover time runs from the kill to the first commit acknowledged by another node; the old host
/// is started again (`--start-host`) and rejoin time runs until its server streams; the writer
/// stops and every acknowledged id is looked up on the primary. The commands, the node's id
/// appended, must kill every process of the host with SIGKILL and start it again.
struct PGFailoverBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pg-failover",
        abstract: "Kill the PostgreSQL primary's host N times under a writer; report failover, lost commits, time without a synchronous standby, rejoin.",
        discussion: """
            Against pgraft or Patroni alike: each --node names a PostgreSQL endpoint and an HTTP endpoint whose \
            GET /primary answers 200 only on the writable primary. The user needs to read pg_stat_replication and \
            pg_stat_wal_receiver in full (a superuser, or a member of pg_read_all_stats) and to create the table. \
            contrib/bench-failover runs it against a Patroni cluster it starts.
            """)

    @OptionGroup var options: TrialOptions

    @Option(help: "Shell command that kills every process of a node's host with SIGKILL; the node id is appended.")
    var killHost: String

    @Option(help: "Shell command that starts a node's host again; the node id is appended.")
    var startHost: String

    @Option(help: "Seconds to wait after the kill for a commit on a new primary.")
    var failoverTimeout: Double = 300

    @Option(help: "Seconds to wait after the start command for the old node's server to stream.")
    var rejoinTimeout: Double = 300

    func validate() throws {
        for (name, value) in [("--failover-timeout", failoverTimeout), ("--rejoin-timeout", rejoinTimeout)] where value <= 0 {
            throw ValidationError("\(name) must be positive")
        }
    }

    func run() throws {
        let (cluster, passfile) = try options.cluster(kill: killHost, start: startHost)
        defer { passfile?.remove() }
        var trial = Trial(command: self, cluster: cluster)
        var failure: Error?
        do {
            try trial.prepare()
            for number in 1...options.rounds {
                let figures = try trial.round(number)
                if !options.json { print(figures.line) }
                fflush(nil)
                if figures.rejoinMs == nil {
                    throw TrialError("round \(number): node \(figures.killedNode) did not stream within \(Int(rejoinTimeout)) s of its start")
                }
            }
        } catch {
            failure = error
        }
        let report = FailoverReport(nodes: cluster.nodes, rounds: trial.figures)
        if options.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else if !report.rounds.isEmpty {
            print("")
            print(report.table)
        }
        if let failure {
            TrialOptions.progress("pg-failover: \(failure)")
            throw ExitCode(1)
        }
    }

    /// The rounds' shared state: the next id, the loss ledger, the figures so far.
    private struct Trial {
        let command: PGFailoverBench
        let cluster: TrialCluster
        var nextID: Int64 = 1
        var ledger = LossLedger()
        var figures: [FailoverFigures] = []

        init(command: PGFailoverBench, cluster: TrialCluster) {
            self.command = command
            self.cluster = cluster
        }

        /// Waits for a settled cluster, creates the table and finds the first id.
        mutating func prepare() throws {
            nextID = try cluster.prepare(table: command.options.table, on: try settled())
        }

        func settled() throws -> FailoverNode { try cluster.settled(timeoutSeconds: command.options.settleTimeout) }

        mutating func round(_ number: Int) throws -> FailoverFigures {
            let clock = cluster.clock
            let primary = try settled()
            TrialOptions.progress("round \(number): node \(primary.id) is primary; writing")
            let writer = TrialWriter(cluster: cluster, table: command.options.table, round: number, firstID: nextID, retryMs: command.options.probeIntervalMs)
            writer.start()
            var acknowledgements: [Acknowledgement] = []
            func collect() { acknowledgements += writer.acknowledgements(from: acknowledgements.count) }
            defer { nextID = writer.stop() }

            let warmup = command.options.warmupCommits
            try cluster.wait(for: "\(warmup) commits on node \(primary.id)", timeoutSeconds: command.options.settleTimeout, everyMs: 5) { reason in
                collect()
                let count = acknowledgements.count { $0.node == primary.id }
                reason = "\(count) commits; \(writer.failureSummary.last ?? "no failure")"
                return count >= warmup ? () : nil
            }

            TrialOptions.progress("round \(number): killing node \(primary.id)")
            let killIssued = clock.ms()
            try cluster.run(cluster.killCommand, on: primary)
            var round = FailoverRound(number: number, killedNode: primary.id, killIssuedAtMs: killIssued, killedAtMs: clock.ms())

            let first = try cluster.wait(for: "a commit on another node after the kill", timeoutSeconds: command.failoverTimeout, everyMs: 5) {
                reason in
                collect()
                reason = writer.failureSummary.last ?? ""
                return acknowledgements.first { $0.node != primary.id && $0.atMs >= round.killedAtMs }
            }
            TrialOptions.progress(
                "round \(number): node \(first.node) committed \(Milliseconds.text(first.atMs - round.killedAtMs)) after the kill; starting node \(primary.id)")

            round.restartIssuedAtMs = clock.ms()
            try cluster.run(cluster.startCommand, on: primary)
            do {
                round.streamingAtMs = try waitForStreaming(primary)
            } catch {
                TrialOptions.progress("round \(number): \(error)")
            }
            nextID = writer.stop()
            round.endedAtMs = clock.ms()
            collect()
            round.acknowledgements = acknowledgements

            let present = try idsOnPrimary()
            ledger.record(acknowledged: round.acknowledgedIDs)
            let result = round.figures(lost: ledger.check(present: present))
            figures.append(result)
            return result
        }

        /// When `node`'s server is first seen with `pg_stat_wal_receiver.status = 'streaming'`.
        func waitForStreaming(_ node: FailoverNode) throws -> Double {
            var connection: PostgresConnection?
            defer { connection?.close() }
            return try cluster.wait(for: "node \(node.id) streaming", timeoutSeconds: command.rejoinTimeout, everyMs: command.options.probeIntervalMs) {
                reason in
                do {
                    if connection == nil { connection = try cluster.connect(node) }
                    let rows = try connection!.query("SELECT status FROM pg_stat_wal_receiver", timeoutMs: cluster.queryTimeoutMs)
                    let seen = cluster.clock.ms()
                    let status = rows.first?.first ?? nil
                    guard status == "streaming" else {
                        reason = "WAL receiver \(status ?? "absent")"
                        return nil
                    }
                    return seen
                } catch {
                    connection?.close()
                    connection = nil
                    reason = "\(error)"
                    return nil
                }
            }
        }

        func idsOnPrimary() throws -> IDRanges { try cluster.ids(in: command.options.table, timeoutSeconds: command.options.settleTimeout) }
    }
}

import ArgumentParser
import Foundation
import PGRaftBenchCore

/// `pgraft-bench pg-pause`: faults on the primary's node that must not become a failover (a
/// component killed, its Raft transport frozen for a moment), under a writer. Each round: wait until one node is
/// primary and every other streams from it; a writer commits one row per transaction on the
/// primary; `--fault` runs against the primary's node; the writer goes on for `--observe` seconds;
/// then the longest write pause after the fault is reported, with any commit another node
/// acknowledged (a failover) and every acknowledged id looked up on the primary.
struct PGPauseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pg-pause",
        abstract: "Fault the PostgreSQL primary's node N times under a writer; report the longest write pause, failovers, lost commits.",
        discussion: """
            For faults that should cost a pause and no failover: a component of pgraftd killed, the node's Raft \
            transport frozen for a moment. contrib/bench-failover --fault NAME runs it against a pgraft cluster it starts.
            """)

    @OptionGroup var options: TrialOptions

    @Option(help: "Shell command that makes the fault on a node (and ends it, for a blip); the node id is appended.")
    var fault: String

    @Option(help: "Seconds the writer goes on after the fault began.")
    var observe: Double = 10

    func validate() throws {
        guard observe > 0 else { throw ValidationError("--observe must be positive") }
    }

    func run() throws {
        let (cluster, passfile) = try options.cluster(kill: fault, start: "true")
        defer { passfile?.remove() }
        var figures: [PauseFigures] = []
        var failure: Error?
        do {
            var nextID = try cluster.prepare(table: options.table, on: try cluster.settled(timeoutSeconds: options.settleTimeout))
            var ledger = LossLedger()
            for number in 1...options.rounds {
                let result = try round(number, cluster: cluster, nextID: &nextID, ledger: &ledger)
                figures.append(result)
                if !options.json { print(result.line) }
                fflush(nil)
            }
        } catch {
            failure = error
        }
        let report = PauseReport(rounds: figures)
        if options.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else if !figures.isEmpty {
            print("")
            print(report.table)
        }
        if let failure {
            TrialOptions.progress("pg-pause: \(failure)")
            throw ExitCode(1)
        }
    }

    /// One round: the fault under the writer, then the figures.
    func round(_ number: Int, cluster: TrialCluster, nextID: inout Int64, ledger: inout LossLedger) throws -> PauseFigures {
        let primary = try cluster.settled(timeoutSeconds: options.settleTimeout)
        TrialOptions.progress("round \(number): node \(primary.id) is primary; writing")
        let writer = TrialWriter(cluster: cluster, table: options.table, round: number, firstID: nextID, retryMs: options.probeIntervalMs)
        writer.start()
        var acknowledgements: [Acknowledgement] = []
        func collect() { acknowledgements += writer.acknowledgements(from: acknowledgements.count) }
        let warmup = options.warmupCommits
        do {
            try cluster.wait(for: "\(warmup) commits on node \(primary.id)", timeoutSeconds: options.settleTimeout, everyMs: 5) { reason in
                collect()
                let count = acknowledgements.count { $0.node == primary.id }
                reason = "\(count) commits; \(writer.failureSummary.last ?? "no failure")"
                return count >= warmup ? () : nil
            }
        } catch {
            nextID = writer.stop()
            throw error
        }
        TrialOptions.progress("round \(number): fault on node \(primary.id)")
        var round = PauseRound(number: number, faultedNode: primary.id, faultAtMs: cluster.clock.ms())
        do {
            try cluster.run(cluster.killCommand, on: primary)
        } catch {
            nextID = writer.stop()
            throw error
        }
        let until = round.faultAtMs + observe * 1_000
        while cluster.clock.ms() < until { usleep(10_000) }
        nextID = writer.stop()
        round.endedAtMs = cluster.clock.ms()
        collect()
        round.acknowledgements = acknowledgements
        round.primaryAfter = (try? cluster.settled(timeoutSeconds: options.settleTimeout))?.id
        ledger.record(acknowledged: acknowledgements.ids)
        let present = try cluster.ids(in: options.table, timeoutSeconds: options.settleTimeout)
        return round.figures(lost: ledger.check(present: present))
    }
}

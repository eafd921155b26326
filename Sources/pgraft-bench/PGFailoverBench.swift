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

    @Option(name: .customLong("node"), help: "A node as ID=PGHOST:PGPORT,http://HTTPHOST:HTTPPORT; repeat for every node.")
    var nodeSpecs: [String] = []

    @Option(help: "Rounds: kills of the primary's host.")
    var rounds = 5

    @Option(help: "PostgreSQL user.")
    var user = "postgres"

    @Option(help: "Database the table is in.")
    var database = "postgres"

    @Option(help: "File whose first line is the user's password (handed to libpq through a private passfile).")
    var passwordFile: String?

    @Option(help: "Shell command that kills every process of a node's host with SIGKILL; the node id is appended.")
    var killHost: String

    @Option(help: "Shell command that starts a node's host again; the node id is appended.")
    var startHost: String

    @Option(help: "Table the writer fills (created if missing; ids continue after the highest already there).")
    var table = "pgraft_bench_failover"

    @Option(help: "Commits acknowledged by the primary before its host is killed.")
    var warmupCommits = 100

    @Option(help: "Seconds to wait before a round for one primary with every other node streaming from it.")
    var settleTimeout: Double = 300

    @Option(help: "Seconds to wait after the kill for a commit on a new primary.")
    var failoverTimeout: Double = 300

    @Option(help: "Seconds to wait after the start command for the old node's server to stream.")
    var rejoinTimeout: Double = 300

    @Option(help: "Seconds the kill and start commands may take.")
    var commandTimeout: Double = 60

    @Option(help: "Milliseconds to connect to a server.")
    var connectTimeoutMs = 2_000

    @Option(help: "Milliseconds a statement may take before it is cancelled (and its commit counts as not acknowledged).")
    var queryTimeoutMs = 10_000

    @Option(help: "Milliseconds between polls (GET /primary while no primary answers, the old node's WAL receiver).")
    var probeIntervalMs = 10

    @Flag(help: "Print the report as JSON on standard output (progress stays on standard error).")
    var json = false

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        do {
            try FailoverNode.validate(try nodes())
        } catch {
            throw ValidationError(error.message)
        }
        guard table.first.map({ $0 == "_" || ($0.isASCII && $0.isLowercase) }) == true,
            table.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) }), table.count <= 63
        else { throw ValidationError("--table must be a plain lower-case identifier (a–z, 0–9, _), got '\(table)'") }
        guard warmupCommits >= 1 else { throw ValidationError("--warmup-commits must be at least 1") }
        for (name, value) in [("--settle-timeout", settleTimeout), ("--failover-timeout", failoverTimeout),
                              ("--rejoin-timeout", rejoinTimeout), ("--command-timeout", commandTimeout)] where value <= 0 {
            throw ValidationError("\(name) must be positive")
        }
        guard connectTimeoutMs >= 1, queryTimeoutMs >= 1 else { throw ValidationError("timeouts must be positive") }
        guard (1...10_000).contains(probeIntervalMs) else { throw ValidationError("--probe-interval-ms must be 1…10000") }
    }

    private func nodes() throws(FailoverOptionError) -> [FailoverNode] {
        var nodes: [FailoverNode] = []
        for spec in nodeSpecs { nodes.append(try FailoverNode(parsing: spec)) }
        return nodes
    }

    func run() throws {
        let nodes = try nodes()
        let passfile = try passwordFile.map(PrivatePassfile.init(passwordFile:))
        defer { passfile?.remove() }
        var parameters = [("user", user), ("dbname", database), ("application_name", "pgraft-bench")]
        if let passfile { parameters.append(("passfile", passfile.path)) }
        let cluster = TrialCluster(
            nodes: nodes, connectionParameters: parameters, connectTimeoutMs: connectTimeoutMs, queryTimeoutMs: queryTimeoutMs,
            killCommand: killHost, startCommand: startHost, commandTimeoutSeconds: commandTimeout, clock: TrialClock())
        var trial = Trial(command: self, cluster: cluster)
        var failure: Error?
        do {
            try trial.prepare()
            for number in 1...rounds {
                let figures = try trial.round(number)
                if !json { print(figures.line) }
                fflush(nil)
                if figures.rejoinMs == nil {
                    throw TrialError("round \(number): node \(figures.killedNode) did not stream within \(Int(rejoinTimeout)) s of its start")
                }
            }
        } catch {
            failure = error
        }
        let report = FailoverReport(nodes: nodes, rounds: trial.figures)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else if !report.rounds.isEmpty {
            print("")
            print(report.table)
        }
        if let failure {
            progress("pg-failover: \(failure)")
            throw ExitCode(1)
        }
    }

    fileprivate func progress(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
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
            let primary = try settled()
            var reason = ""
            let table = command.table
            guard
                let rows = cluster.query(
                    primary,
                    "CREATE TABLE IF NOT EXISTS \(table) (id bigint PRIMARY KEY, round integer NOT NULL); SELECT coalesce(max(id), 0) FROM \(table)",
                    reason: &reason),
                let highest = rows.first?.first.flatMap({ $0.flatMap { Int64($0) } })
            else { throw TrialError("cannot prepare the table \(table) on node \(primary.id): \(reason)") }
            nextID = highest + 1
        }

        /// One primary, and every other node streaming from it (its `pg_stat_replication` shows
        /// them all in state `streaming`).
        func settled() throws -> FailoverNode {
            let standbys = cluster.nodes.count - 1
            return try cluster.wait(for: "one primary with \(standbys) streaming standbys", timeoutSeconds: command.settleTimeout, everyMs: 100) {
                reason in
                let primaries = cluster.primaries()
                guard primaries.count == 1, let primary = primaries.first else {
                    reason = "\(primaries.count) nodes answer GET /primary with 200"
                    return nil
                }
                guard let rows = cluster.query(primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", reason: &reason)
                else { return nil }
                let streaming = rows.first?.first.flatMap { $0.flatMap { Int($0) } } ?? 0
                guard streaming == standbys else {
                    reason = "node \(primary.id) is primary with \(streaming) of \(standbys) standbys streaming"
                    return nil
                }
                return primary
            }
        }

        mutating func round(_ number: Int) throws -> FailoverFigures {
            let clock = cluster.clock
            let primary = try settled()
            command.progress("round \(number): node \(primary.id) is primary; writing")
            let writer = TrialWriter(cluster: cluster, table: command.table, round: number, firstID: nextID, retryMs: command.probeIntervalMs)
            writer.start()
            var acknowledgements: [Acknowledgement] = []
            func collect() { acknowledgements += writer.acknowledgements(from: acknowledgements.count) }
            defer { nextID = writer.stop() }

            let warmup = command.warmupCommits
            try cluster.wait(for: "\(warmup) commits on node \(primary.id)", timeoutSeconds: command.settleTimeout, everyMs: 5) { reason in
                collect()
                let count = acknowledgements.count { $0.node == primary.id }
                reason = "\(count) commits; \(writer.failureSummary.last ?? "no failure")"
                return count >= warmup ? () : nil
            }

            command.progress("round \(number): killing node \(primary.id)")
            let killIssued = clock.ms()
            try cluster.run(cluster.killCommand, on: primary)
            var round = FailoverRound(number: number, killedNode: primary.id, killIssuedAtMs: killIssued, killedAtMs: clock.ms())

            let first = try cluster.wait(for: "a commit on another node after the kill", timeoutSeconds: command.failoverTimeout, everyMs: 5) {
                reason in
                collect()
                reason = writer.failureSummary.last ?? ""
                return acknowledgements.first { $0.node != primary.id && $0.atMs >= round.killedAtMs }
            }
            command.progress(
                "round \(number): node \(first.node) committed \(Milliseconds.text(first.atMs - round.killedAtMs)) after the kill; starting node \(primary.id)")

            round.restartIssuedAtMs = clock.ms()
            try cluster.run(cluster.startCommand, on: primary)
            do {
                round.streamingAtMs = try waitForStreaming(primary)
            } catch {
                command.progress("round \(number): \(error)")
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
            return try cluster.wait(for: "node \(node.id) streaming", timeoutSeconds: command.rejoinTimeout, everyMs: command.probeIntervalMs) {
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

        /// Every id in the primary's table, read as runs of consecutive ids.
        func idsOnPrimary() throws -> IDRanges {
            let table = command.table
            return try cluster.wait(for: "the ids on the primary", timeoutSeconds: command.settleTimeout, everyMs: 100) { reason in
                let primaries = cluster.primaries()
                guard primaries.count == 1, let primary = primaries.first else {
                    reason = "\(primaries.count) nodes answer GET /primary with 200"
                    return nil
                }
                guard
                    let rows = cluster.query(
                        primary,
                        "SELECT min(id), max(id) FROM (SELECT id, id - row_number() OVER (ORDER BY id) AS run FROM \(table)) AS ids GROUP BY run",
                        reason: &reason, timeoutMs: 120_000)
                else { return nil }
                return IDRanges(rows.compactMap { row in
                    guard row.count == 2, let low = row[0].flatMap({ Int64($0) }), let high = row[1].flatMap({ Int64($0) }) else { return nil }
                    return low...high
                })
            }
        }
    }
}

/// A libpq passfile holding one password for any host, port, database and user, in a directory
/// only this process's user can enter; removed at the end of the trial.
private struct PrivatePassfile {
    let directory: String
    var path: String { directory + "/pgpass" }

    /// Reads the password (the first line of `passwordFile`) and writes the passfile.
    init(passwordFile: String) throws {
        guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
            throw ValidationError("--password-file \(passwordFile) cannot be read")
        }
        let password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var template = Array((NSTemporaryDirectory() + "pgraft-bench-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TrialError("cannot create a private directory: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        let escaped = password.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
        let fd = open(directory + "/pgpass", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TrialError("cannot write the passfile: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let line = Array("*:*:*:*:\(escaped)\n".utf8)
        guard write(fd, line, line.count) == line.count else { throw TrialError("cannot write the passfile") }
    }

    func remove() {
        unlink(path)
        rmdir(directory)
    }
}

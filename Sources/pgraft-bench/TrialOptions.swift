import ArgumentParser
import Foundation
import PGRaftBenchCore

/// The options the PostgreSQL trials share (`pg-failover`, `pg-pause`): the nodes, how to reach
/// their servers, the table the writer fills, the rounds and the waits.
struct TrialOptions: ParsableArguments {
    @Option(name: .customLong("node"), help: "A node as ID=PGHOST:PGPORT,http://HTTPHOST:HTTPPORT; repeat for every node.")
    var nodeSpecs: [String] = []

    @Option(help: "Rounds: faults of the primary's node.")
    var rounds = 5

    @Option(help: "PostgreSQL user.")
    var user = "postgres"

    @Option(help: "Database the table is in.")
    var database = "postgres"

    @Option(help: "File whose first line is the user's password (handed to libpq through a private passfile).")
    var passwordFile: String?

    @Option(help: "Table the writer fills (created if missing; ids continue after the highest already there).")
    var table = "pgraft_bench_failover"

    @Option(help: "Commits acknowledged by the primary before the fault.")
    var warmupCommits = 100

    @Option(help: "Seconds to wait before a round for one primary with every other node streaming from it.")
    var settleTimeout: Double = 300

    @Option(help: "Seconds the shell commands may take.")
    var commandTimeout: Double = 60

    @Option(help: "Milliseconds to connect to a server.")
    var connectTimeoutMs = 2_000

    @Option(help: "Milliseconds a statement may take before it is cancelled (and its commit counts as not acknowledged).")
    var queryTimeoutMs = 10_000

    @Option(help: "Milliseconds between polls (GET /primary while no primary answers, a WAL receiver).")
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
        for (name, value) in [("--settle-timeout", settleTimeout), ("--command-timeout", commandTimeout)] where value <= 0 {
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

    /// The cluster the trial runs against, with `kill` and `start` as its host commands, and the
    /// private passfile made for `--password-file` (remove it at the end).
    func cluster(kill: String, start: String) throws -> (TrialCluster, PrivatePassfile?) {
        let passfile = try passwordFile.map(PrivatePassfile.init(passwordFile:))
        var parameters = [("user", user), ("dbname", database), ("application_name", "pgraft-bench")]
        if let passfile { parameters.append(("passfile", passfile.path)) }
        let cluster = TrialCluster(
            nodes: try nodes(), connectionParameters: parameters, connectTimeoutMs: connectTimeoutMs, queryTimeoutMs: queryTimeoutMs,
            killCommand: kill, startCommand: start, commandTimeoutSeconds: commandTimeout, clock: TrialClock())
        return (cluster, passfile)
    }

    /// Writes a line of progress on standard error.
    static func progress(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
        fflush(nil)
    }
}

extension TrialCluster {
    /// Waits for one primary with every other node streaming from it (its `pg_stat_replication`
    /// shows them all in state `streaming`), and returns it.
    func settled(timeoutSeconds: Double) throws -> FailoverNode {
        let standbys = nodes.count - 1
        return try wait(for: "one primary with \(standbys) streaming standbys", timeoutSeconds: timeoutSeconds, everyMs: 100) { reason in
            let primaries = primaries()
            guard primaries.count == 1, let primary = primaries.first else {
                reason = "\(primaries.count) nodes answer GET /primary with 200"
                return nil
            }
            guard let rows = query(primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", reason: &reason) else { return nil }
            let streaming = rows.first?.first.flatMap { $0.flatMap { Int($0) } } ?? 0
            guard streaming == standbys else {
                reason = "node \(primary.id) is primary with \(streaming) of \(standbys) standbys streaming"
                return nil
            }
            return primary
        }
    }

    /// Creates `table` on `primary` if missing and returns the first id the writer may use.
    func prepare(table: String, on primary: FailoverNode) throws -> Int64 {
        var reason = ""
        guard
            let rows = query(
                primary, "CREATE TABLE IF NOT EXISTS \(table) (id bigint PRIMARY KEY, round integer NOT NULL); SELECT coalesce(max(id), 0) FROM \(table)",
                reason: &reason),
            let highest = rows.first?.first.flatMap({ $0.flatMap { Int64($0) } })
        else { throw TrialError("cannot prepare the table \(table) on node \(primary.id): \(reason)") }
        return highest + 1
    }

    /// Every id in the primary's `table`, read as runs of consecutive ids.
    func ids(in table: String, timeoutSeconds: Double) throws -> IDRanges {
        try wait(for: "the ids on the primary", timeoutSeconds: timeoutSeconds, everyMs: 100) { reason in
            let primaries = primaries()
            guard primaries.count == 1, let primary = primaries.first else {
                reason = "\(primaries.count) nodes answer GET /primary with 200"
                return nil
            }
            guard
                let rows = query(
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

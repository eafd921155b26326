import Dispatch
import Foundation
import PGRaftBenchCore
import PGRaftKit
import PGRaftPostgres
import PGRaftTestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The benchmark's one monotonic clock: milliseconds since the trial started. Every time the
/// failover trial records comes from it.
struct TrialClock: Sendable {
    private let origin = ContinuousClock.now

    /// Milliseconds since the clock was made.
    func ms() -> Double {
        let elapsed = ContinuousClock.now - origin
        return Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15
    }
}

/// Why the failover trial stopped.
struct TrialError: Error, CustomStringConvertible {
    /// What happened.
    let description: String

    init(_ description: String) { self.description = description }
}

/// How the failover trial reaches a cluster: `GET /primary` on each node's HTTP endpoint, libpq
/// connections to each node's server, and the shell commands that kill and start a node's host.
struct TrialCluster: Sendable {
    /// The nodes, in the order given.
    let nodes: [FailoverNode]
    /// libpq parameters every connection shares (user, database, passfile, application name).
    let connectionParameters: [(String, String)]
    let connectTimeoutMs: Int
    let queryTimeoutMs: Int
    let killCommand: String
    let startCommand: String
    let commandTimeoutSeconds: Double
    let clock: TrialClock

    /// The nodes whose HTTP endpoint answers `GET /primary` with 200 now, asked all at once (a
    /// dead endpoint refuses at once; one that hangs costs its own probe one second, not the others').
    func primaries() -> [FailoverNode] {
        let answers = ProbeAnswers(count: nodes.count)
        let nodes = self.nodes
        DispatchQueue.concurrentPerform(iterations: nodes.count) { index in
            let node = nodes[index]
            let client = BlockingHTTPClient(host: node.httpHost, port: node.httpPort, timeoutSeconds: 1)
            if let response = try? client.request("GET", "/primary"), response.status == 200 { answers.set(index) }
        }
        return answers.indices.map { nodes[$0] }
    }

    /// A new connection to `node`'s server.
    func connect(_ node: FailoverNode) throws -> PostgresConnection {
        try PostgresConnection(
            parameters: [("host", node.postgresHost), ("port", String(node.postgresPort))] + connectionParameters, timeoutMs: connectTimeoutMs)
    }

    /// Runs `command node-id` through `/bin/sh -c`, its output on standard error, and waits for it
    /// within the command timeout; a failure or a timeout (the shell is then killed) is an error.
    func run(_ command: String, on node: FailoverNode) throws {
        let line = "\(command) \(node.id)"
        let process = try SpawnedProcess(path: "/bin/sh", arguments: ["-c", line], stdout: 2)
        let deadline = clock.ms() + commandTimeoutSeconds * 1_000
        while process.isRunning {
            if clock.ms() > deadline {
                kill(process.pid, SIGKILL)
                process.waitUntilExit()
                throw TrialError("'\(line)' did not finish within \(Int(commandTimeoutSeconds)) s; killed")
            }
            usleep(1_000)
        }
        guard process.terminationStatus == 0 else { throw TrialError("'\(line)' failed with status \(process.terminationStatus)") }
    }

    /// Polls `check` every `intervalMs` until it gives a value, or throws once `timeoutSeconds`
    /// have passed, saying what was awaited and the last reason `check` left in `reason`.
    func wait<T>(for what: String, timeoutSeconds: Double, everyMs intervalMs: Int, _ check: (inout String) -> T?) throws -> T {
        let deadline = clock.ms() + timeoutSeconds * 1_000
        var reason = ""
        while true {
            if let value = check(&reason) { return value }
            guard clock.ms() < deadline else {
                throw TrialError("\(what): not within \(Int(timeoutSeconds)) s" + (reason.isEmpty ? "" : " (last: \(reason))"))
            }
            usleep(UInt32(intervalMs) * 1_000)
        }
    }

    /// Runs `sql` on a new connection to `node` and closes it; the rows, or nil with `reason` set.
    func query(_ node: FailoverNode, _ sql: String, reason: inout String, timeoutMs: Int? = nil) -> [[String?]]? {
        do {
            let connection = try connect(node)
            defer { connection.close() }
            return try connection.query(sql, timeoutMs: timeoutMs ?? queryTimeoutMs)
        } catch {
            reason = "node \(node.id): \(error)"
            return nil
        }
    }
}

/// The endpoints that answered 200, collected from concurrent probes.
private final class ProbeAnswers: @unchecked Sendable {
    private let lock = NSLock()
    private var answered: [Bool]

    init(count: Int) { answered = Array(repeating: false, count: count) }

    func set(_ index: Int) { lock.withLock { answered[index] = true } }

    var indices: [Int] { lock.withLock { answered.indices.filter { answered[$0] } } }
}

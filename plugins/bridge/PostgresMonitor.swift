import CLibPQ

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Logging
import PGRaftPostgres

/// Keeps one libpq connection to the local PostgreSQL over its Unix socket and watches its role,
/// reconnecting with exponential backoff from the check period up to `retryMaxMs`.
struct PostgresMonitor {
    let spec: PostgresServerSpec
    let checkPeriodMs: Int
    let logger: Logger
    /// The longest delay between two connection attempts.
    static let retryMaxMs = 5000
    /// A query unanswered this long means PostgreSQL is hung (or the network is): the connection is
    /// dropped and made again, rather than the bridge waiting forever.
    static let queryTimeoutMs: Int32 = 5000

    /// Runs until the task is cancelled.
    func run() async {
        var delay = checkPeriodMs
        while !Task.isCancelled {
            guard let connection = connect() else {
                logger.info("retrying in \(delay) ms")
                try? await Task.sleep(for: .milliseconds(delay))
                delay = min(delay * 2, max(Self.retryMaxMs, checkPeriodMs))
                continue
            }
            delay = checkPeriodMs
            await watch(connection)
            PQfinish(connection)
        }
    }

    /// Connects; logs the server version and recovery state, or why it failed.
    private func connect() -> OpaquePointer? {
        // The server's socket, as the superuser; the password (when it has one) stays in memory.
        var keywords = ["connect_timeout", "host", "port", "user", "dbname", "application_name"]
        var values = ["3", spec.socketDirectory, "\(spec.port)", spec.superuser, "postgres", "pgraft"]
        if let password = spec.superuserPassword {
            keywords.append("password")
            values.append(password)
        }
        let connection = withCStrings(keywords) { keys in
            withCStrings(values) { vals in PQconnectdbParams(keys, vals, 0) }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { Self.errorMessage($0) } ?? "out of memory"
            logger.warning("cannot connect to PostgreSQL: \(message)")
            if let connection { PQfinish(connection) }
            return nil
        }
        let version = PQserverVersion(connection)
        let inRecovery = isInRecovery(connection)
        logger.info(
            "connected to PostgreSQL",
            metadata: [
                "server_version": "\(version / 10000).\(version % 10000)",
                "in_recovery": "\(inRecovery.map { "\($0)" } ?? "unknown")",
                "role": "\(inRecovery == true ? "standby" : "primary")",
            ])
        return connection
    }

    /// Polls the connection every check period until it fails or the task is cancelled.
    private func watch(_ connection: OpaquePointer) async {
        var lastRecovery = isInRecovery(connection)
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(checkPeriodMs))
            guard let recovery = isInRecovery(connection) else {
                logger.warning("lost the connection to PostgreSQL: \(Self.errorMessage(connection))")
                return
            }
            if recovery != lastRecovery {
                logger.info("PostgreSQL role changed", metadata: ["in_recovery": "\(recovery)"])
                lastRecovery = recovery
            }
        }
    }

    /// `pg_is_in_recovery()`, or nil when the query fails or gets no answer within `queryTimeoutMs`.
    private func isInRecovery(_ connection: OpaquePointer) -> Bool? {
        guard PQsendQuery(connection, "SELECT pg_is_in_recovery()") == 1 else { return nil }
        var answer: Bool?
        var deadline = ContinuousClock.now + .milliseconds(Int(Self.queryTimeoutMs))
        while true {
            guard PQconsumeInput(connection) == 1 else { return nil }
            if PQisBusy(connection) == 0 {
                guard let result = PQgetResult(connection) else { return answer }
                if PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1 {
                    answer = String(cString: PQgetvalue(result, 0, 0)) == "t"
                }
                PQclear(result)
                deadline = ContinuousClock.now + .milliseconds(Int(Self.queryTimeoutMs))
                continue
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                logger.warning("PostgreSQL did not answer within \(Self.queryTimeoutMs) ms")
                return nil
            }
            var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, Int32(min(remaining.components.seconds * 1000 + 1, Int64(Self.queryTimeoutMs))))
        }
    }

    private static func errorMessage(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).split(separator: "\n").joined(separator: " ")
    }

    private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        return body(pointers.map { UnsafePointer($0) } + [nil])
    }
}

import CLibPQ
import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One libpq connection to a PostgreSQL server, where connecting and every query have a deadline:
/// a hung server must not hang the bridge.
///
/// Connecting polls `PQconnectStartParams` and each query polls `PQsendQueryParams` against the
/// deadline; a query not answered in time is cancelled (`PQcancel`), the connection is closed and
/// the error says so. Notices (such as the warning of a cancelled wait for synchronous replication)
/// are dropped rather than printed on standard error.
///
/// Not thread-safe: one caller at a time.
public final class PostgresConnection {
    private var handle: OpaquePointer?

    /// Connects with the libpq `parameters` (keyword, value) within `timeoutMs`.
    ///
    /// - Important: Put no password in `parameters`; name a `passfile` instead.
    public init(parameters: [(String, String)], timeoutMs: Int) throws {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        let description = parameters.filter { $0.0 == "host" || $0.0 == "port" || $0.0 == "user" }.map { "\($0.0)=\($0.1)" }
            .joined(separator: " ")
        let keys = parameters.map { strdup($0.0) } + [nil]
        let values = parameters.map { strdup($0.1) } + [nil]
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        let connection = keys.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                PQconnectStartParams(
                    UnsafeRawPointer(k.baseAddress!).assumingMemoryBound(to: UnsafePointer<CChar>?.self),
                    UnsafeRawPointer(v.baseAddress!).assumingMemoryBound(to: UnsafePointer<CChar>?.self), 0)
            }
        }
        guard let connection else { throw PostgresError(.connection, "cannot connect (\(description)): out of memory") }
        handle = connection
        guard PQstatus(connection) != CONNECTION_BAD else {
            defer { close() }
            throw PostgresError(.connection, "cannot connect (\(description)): \(Self.message(connection))")
        }
        var state = PGRES_POLLING_WRITING
        while state != PGRES_POLLING_OK {
            guard state != PGRES_POLLING_FAILED else {
                defer { close() }
                throw PostgresError(.connection, "cannot connect (\(description)): \(Self.message(connection))")
            }
            let events = state == PGRES_POLLING_READING ? Int16(POLLIN) : Int16(POLLOUT)
            guard Self.wait(for: events, on: PQsocket(connection), until: deadline) else {
                defer { close() }
                throw PostgresError(.connection, "cannot connect (\(description)): no answer within \(timeoutMs) ms")
            }
            state = PQconnectPoll(connection)
        }
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { close() }

    /// Whether the connection is open and usable.
    public var isOpen: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Closes the connection (idempotent).
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Runs one SQL statement with text `parameters` (`$1`, `$2`, …; nil is NULL), or without
    /// parameters any number of statements, and returns the rows of the last one that returned rows,
    /// each column as text or nil for NULL. A statement not answered within `timeoutMs` is
    /// cancelled, the connection closed and an error thrown.
    ///
    /// Errors quote the statement, or `describedAs` instead when given (for a statement that holds
    /// something an error should not show, such as a password verifier).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = [], timeoutMs: Int = 5_000, describedAs label: String? = nil) throws
        -> [[String?]]
    {
        let sqlForErrors = label ?? sql
        guard let connection = handle, PQstatus(connection) == CONNECTION_OK else {
            throw PostgresError(.connection, "the connection is closed")
        }
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        let values = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { values.forEach { free($0) } }
        // Without parameters the simple protocol, which also takes several statements separated by `;`.
        let sent =
            parameters.isEmpty
            ? PQsendQuery(connection, sql)
            : values.map { UnsafePointer($0) }.withUnsafeBufferPointer {
                PQsendQueryParams(connection, sql, Int32(parameters.count), nil, $0.baseAddress, nil, nil, 0)
            }
        guard sent == 1 else { throw failed(sqlForErrors, Self.message(connection)) }

        var rows: [[String?]] = []
        var error: String?
        while true {
            guard PQconsumeInput(connection) == 1 else { throw failed(sqlForErrors, Self.message(connection)) }
            if PQisBusy(connection) == 0 {
                guard let result = PQgetResult(connection) else { break }
                switch PQresultStatus(result) {
                case PGRES_TUPLES_OK:
                    rows = Self.rows(of: result)
                case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                    break
                default:
                    error = error ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
                }
                PQclear(result)
                continue
            }
            guard Self.wait(for: Int16(POLLIN), on: PQsocket(connection), until: deadline) else {
                cancelAndClose()
                throw failed(sqlForErrors, "no answer within \(timeoutMs) ms; cancelled")
            }
        }
        if let error { throw failed(sqlForErrors, error) }
        return rows
    }

    /// The SCRAM-SHA-256 verifier of `password` for `user`, computed here (`PQencryptPasswordConn`)
    /// so that only the verifier, never the password, is sent to the server.
    func scramVerifier(password: String, user: String) throws -> String {
        guard let connection = handle, let verifier = PQencryptPasswordConn(connection, password, user, "scram-sha-256") else {
            throw PostgresError(.query, "cannot compute the password verifier for \(user)")
        }
        defer { PQfreemem(verifier) }
        return String(cString: verifier)
    }

    /// A SQL string literal (`'…'` with quotes doubled): for statements that take no parameter,
    /// such as `ALTER ROLE … PASSWORD`.
    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// A SQL identifier, double-quoted.
    static func identifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    private func cancelAndClose() {
        if let handle, let cancel = PQgetCancel(handle) {
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &buffer, Int32(buffer.count))
            PQfreeCancel(cancel)
        }
        close()
    }

    /// The error of a failed statement: `.connection` when the connection is gone with it (the
    /// server closed it or went away), so a caller knows a new connection may succeed; `.query`
    /// otherwise, including a statement that did not answer in time.
    private func failed(_ sql: String, _ message: String) -> PostgresError {
        let statement = sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        let lost = handle.map { PQstatus($0) == CONNECTION_BAD } ?? false
        return PostgresError(lost ? .connection : .query, "\(statement.prefix(120)): \(message)")
    }

    private static func rows(of result: OpaquePointer) -> [[String?]] {
        (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    private static func message(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// Waits until `socket` is ready for `events` or `deadline` passes; false on the deadline.
    private static func wait(for events: Int16, on socket: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return false }
            let milliseconds = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(milliseconds, 1000)))
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return true }  // let libpq report the socket's error
        }
    }
}

import Foundation
import Logging
import PGRaftBridge

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The local PostgreSQL server of one node, and the operations the bridge performs on it: initdb,
/// configuration, start, stop, reload, promotion, re-pointing, base backup, rewind, slots,
/// synchronous standbys and observation. PostgreSQL's own tools do the work (see ``ToolRunner``);
/// the library decides nothing: the bridge core does.
///
/// Every method blocks the calling thread until it is done or its timeout passes (tools are waited
/// for, queries are polled against a deadline); run them off the cooperative thread pool. Calls are
/// safe from several threads, but one at a time is what makes sense for one server.
///
/// - Important: When the library runs as root, every tool runs as ``PostgresServerSpec/osUser``
///   through `runuser -u USER --`, and every file it writes in the data directory is given to that
///   user (`initdb` and `postgres` refuse root, and the server must be able to read its files).
public final class PostgresServer: Sendable {
    /// The settings this server is managed with.
    public let spec: PostgresServerSpec
    /// The runner of the tools in `postgres.bin_dir`.
    public let tools: ToolRunner
    /// The passfile every connection uses.
    public let passfile: Passfile
    let logger: Logger
    private let connectionCache = ConnectionCache()
    private let versionCache = VersionCache()
    let controlCache = ControlDataCache()

    /// How long a query of the library may go unanswered, in ms.
    public static let queryTimeoutMs = 5_000

    /// A server managed with `spec`. An operator parameter pgraft owns, or an unknown
    /// `postgres.os_user`, is an error naming the setting.
    public init(spec: PostgresServerSpec, logger: Logger) throws {
        try ServerConfiguration.validate(spec)
        self.spec = spec
        self.logger = logger
        tools = try ToolRunner(spec: spec, logger: logger)
        passfile = Passfile(spec: spec)
    }

    /// The user that owns the data directory and runs the tools.
    public var user: OSUser { tools.user }

    /// The running postmaster of this data directory, nil when none runs.
    public var postmaster: PostmasterPID? { PostmasterPID.read(dataDirectory: spec.dataDirectory) }

    /// The libpq parameters of a connection to this server over its Unix socket as the superuser.
    public var localConnectionParameters: [(String, String)] {
        [
            ("host", spec.socketDirectory), ("port", "\(spec.port)"), ("user", spec.superuser), ("dbname", "postgres"),
            ("passfile", passfile.path), ("application_name", "pgraft"), ("connect_timeout", "5"),
        ]
    }

    /// A new connection to this server over its Unix socket as the superuser.
    public func connect(timeoutMs: Int = PostgresServer.queryTimeoutMs) throws -> PostgresConnection {
        try PostgresConnection(parameters: localConnectionParameters, timeoutMs: timeoutMs)
    }

    /// Runs `body` with the kept connection (made when there is none, dropped after a failure), one
    /// caller at a time. When a kept connection turns out to be gone (the server restarted, or
    /// ended the session), `body` runs once more on a new one, so a healthy server is not reported
    /// down because of an old connection; a statement that timed out is not repeated.
    @discardableResult
    func withConnection<T>(timeoutMs: Int = PostgresServer.queryTimeoutMs, _ body: (PostgresConnection) throws -> T) throws -> T {
        try connectionCache.lock.withLock {
            if let kept = connectionCache.connection, kept.isOpen {
                do {
                    return try body(kept)
                } catch let error as PostgresError where error.code == .connection {
                    kept.close()
                    connectionCache.connection = nil
                } catch {
                    kept.close()
                    connectionCache.connection = nil
                    throw error
                }
            }
            connectionCache.connection = nil
            let connection = try connect(timeoutMs: timeoutMs)
            connectionCache.connection = connection
            do {
                return try body(connection)
            } catch {
                connection.close()
                connectionCache.connection = nil
                throw error
            }
        }
    }

    /// Drops the kept connection (after a restart of the server it would be dead anyway).
    func dropConnection() {
        connectionCache.lock.withLock {
            connectionCache.connection?.close()
            connectionCache.connection = nil
        }
    }

    /// Waits until `condition` is true, checking every 5 ms (a query on the local socket: a failover
    /// waits on several of these in a row), for at most `timeoutMs`; then an error saying `what` did
    /// not happen, with the last error `condition` threw.
    func waitUntil(timeoutMs: Int, _ what: String, _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        var lastError: Error?
        while true {
            do {
                if try condition() { return }
                lastError = nil
            } catch {
                lastError = error
            }
            guard ContinuousClock.now < deadline else {
                throw PostgresError(.state, "\(what) within \(timeoutMs) ms" + (lastError.map { " (last error: \($0))" } ?? ""))
                    .scrubbed(of: spec.secrets)
            }
            usleep(5_000)
        }
    }

    /// The major version of the binaries in `postgres.bin_dir` (`postgres --version`), asked once.
    public func binaryMajorVersion() throws -> Int {
        try versionCache.lock.withLock {
            if let major = versionCache.major { return major }
            let output = try tools.run("postgres", ["--version"], timeoutMs: 30_000).stdout
            // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
            guard let close = output.firstIndex(of: ")"),
                let major = Int(output[output.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix { $0.isNumber })
            else {
                throw PostgresError(.environment, setting: "postgres.bin_dir", "cannot read the version of postgres from '\(output)'")
            }
            versionCache.major = major
            return major
        }
    }

    /// The path of `name` inside the data directory.
    func dataFile(_ name: String) -> String { (spec.dataDirectory as NSString).appendingPathComponent(name) }

    /// The tool timeout for starting, stopping and promoting: the spec's plus a margin for pg_ctl itself.
    var lifecycleToolTimeoutMs: Int { spec.startTimeoutMs + 10_000 }

    /// `pg_ctl -t`'s seconds for the spec's start timeout (rounded up).
    var lifecycleSeconds: String { "\(max(1, (spec.startTimeoutMs + 999) / 1000))" }
}

/// The connection ``PostgresServer`` keeps between calls, behind a lock.
private final class ConnectionCache: @unchecked Sendable {
    let lock = NSLock()
    var connection: PostgresConnection?
}

/// The binaries' major version, once known.
private final class VersionCache: @unchecked Sendable {
    let lock = NSLock()
    var major: Int?
}

/// The control data last read with `pg_controldata`, and the identity of the `global/pg_control`
/// file it was read from: the bridge looks every few milliseconds, and the file changes only at a
/// checkpoint, a shutdown, a promotion or a rewind.
final class ControlDataCache: @unchecked Sendable {
    /// What identifies one version of the control file: its inode, size and modification time.
    struct FileVersion: Equatable {
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    let lock = NSLock()
    var version: FileVersion?
    var output: String?
}

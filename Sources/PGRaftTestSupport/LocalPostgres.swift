import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A throwaway PostgreSQL server for tests: initdb into a temporary directory, listening only on a
/// Unix socket in that directory and a free loopback port. Run as the `postgres` user when the
/// tests run as root (initdb refuses root).
public final class LocalPostgres: @unchecked Sendable {
    /// Why a server could not be made.
    public struct Failure: Error, CustomStringConvertible {
        /// What failed, with the tool's output.
        public let description: String
    }

    /// Debian's location of the server binaries.
    public static let binDirectory = ProcessInfo.processInfo.environment["PGRAFT_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"

    /// The parent directory (owned by the server's user).
    public let directory: String
    /// The data directory.
    public var dataDirectory: String { directory + "/data" }
    /// The TCP port.
    public let port: Int

    /// A libpq connection string for the server.
    public var conninfo: String { "host=\(directory) port=\(port) dbname=postgres user=postgres" }

    /// Makes the directory and picks the port; runs initdb unless `initialize` is false (a test
    /// of code that makes the data directory itself wants only the place and the port).
    public init(initialize: Bool = true) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binDirectory + "/initdb") else {
            throw Failure(description: "PostgreSQL server binaries not found in \(Self.binDirectory) (install postgresql-15)")
        }
        directory = NSTemporaryDirectory() + "pgraft-pg-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try LoopbackPorts.free(1)[0]
        if getuid() == 0 { try Self.run("/bin/chown", ["postgres:postgres", directory]) }
        guard initialize else { return }
        try runAsOwner("initdb", ["-D", dataDirectory, "-U", "postgres", "-A", "trust", "--no-sync"])
    }

    /// Starts the server and waits until it accepts connections.
    public func start() throws {
        try runAsOwner(
            "pg_ctl",
            ["-D", dataDirectory, "-l", directory + "/server.log", "-w", "-t", "60", "-o",
             "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
    }

    /// Stops the server (fast shutdown) and waits until it is gone.
    public func stop() throws {
        try runAsOwner("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Stops the server if it runs and removes its directory.
    public func cleanUp() {
        try? runAsOwner("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func runAsOwner(_ tool: String, _ arguments: [String]) throws {
        let path = Self.binDirectory + "/" + tool
        if getuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments)
        } else {
            try Self.run(path, arguments)
        }
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let result = try CommandResult.run(executable, arguments)
        guard result.status == 0 else {
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")) failed (\(result.status)):\n\(result.stdout)\(result.stderr)")
        }
    }
}

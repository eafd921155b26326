import Foundation
import PGRaftBridge

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension PostgresServer {
    /// The libpq connection string of a replication-role connection to `upstream` (for
    /// `pg_basebackup`, or with `database` for `pg_rewind`): passfile, no password.
    func upstreamConninfo(_ upstream: Upstream, database: String? = nil) -> String {
        var parameters = [
            ("host", upstream.address.host), ("port", "\(upstream.address.port)"), ("user", spec.replicationUser),
            ("passfile", passfile.path), ("application_name", MemberNaming.name(of: spec.nodeID)), ("connect_timeout", "10"),
        ]
        if let database { parameters.append(("dbname", database)) }
        return parameters.map { "\($0.0)=\(ServerConfiguration.conninfoQuote($0.1))" }.joined(separator: " ")
    }

    /// Makes this server a copy of `upstream` with `pg_basebackup` (`-X stream -c fast`, into the
    /// empty or absent data directory), then writes the standby configuration for `upstream`, with
    /// no synchronous standbys (the copied file has the upstream's). The
    /// server is left stopped; ``start(as:members:synchronousStandbyNames:)`` as a standby of `upstream`
    /// follows. A directory that is not empty is an error: move it aside first (``moveAside()``).
    public func baseBackup(from upstream: Upstream, members: MemberAddresses, timeoutMs: Int = 3_600_000) throws {
        guard postmaster == nil else { throw PostgresError(.state, "the server of \(spec.dataDirectory) runs; stop it first") }
        guard isEmptyOrAbsent(spec.dataDirectory) else {
            throw PostgresError(.state, setting: "postgres.data_dir", "\(spec.dataDirectory) is not empty: move it aside first")
        }
        try checkDataDirectory()
        try passfile.write(for: spec, owner: user)
        var arguments = [
            "-D", spec.dataDirectory, "-d", upstreamConninfo(upstream), "-X", "stream", "-c", "fast", "--no-password",
            "-l", "pgraft node \(spec.nodeID)",
        ]
        if !spec.syncToDisk { arguments.append("--no-sync") }
        try tools.run("pg_basebackup", arguments, timeoutMs: timeoutMs)
        // The copy holds the upstream's pgraft.conf, whose synchronous standbys are the upstream's.
        try configure(as: .standby(of: upstream), members: members, synchronousStandbyNames: "")
        logger.info("made a base backup", metadata: ["upstream": "\(upstream)"])
    }

    /// Rewinds this stopped server's data directory to where it left `upstream`'s history with
    /// `pg_rewind --source-server` (as the replication role, which ``ensureRoles()`` lets read the
    /// files it needs), then writes the standby configuration for `upstream`, with no synchronous
    /// standbys (the rewind copies the upstream's configuration files). A directory that was not shut down cleanly is first
    /// recovered by `pg_rewind` itself. When the rewind fails the directory may be unusable: move it
    /// aside and make a base backup.
    public func rewind(from upstream: Upstream, members: MemberAddresses, timeoutMs: Int = 3_600_000) throws {
        guard postmaster == nil else { throw PostgresError(.state, "the server of \(spec.dataDirectory) runs; stop it first") }
        try passfile.write(for: spec, owner: user)
        checkpoint(upstream)
        var arguments = ["-D", spec.dataDirectory, "--source-server=\(upstreamConninfo(upstream, database: "postgres"))"]
        if !spec.syncToDisk { arguments.append("--no-sync") }
        try tools.run("pg_rewind", arguments, timeoutMs: timeoutMs)
        try configure(as: .standby(of: upstream), members: members, synchronousStandbyNames: "")
        logger.info("rewound the data directory", metadata: ["upstream": "\(upstream)"])
    }

    /// Throws unless `upstream` answers a query as the replication role.
    public func checkReachable(_ upstream: Upstream) throws {
        let source = try PostgresConnection(parameters: sourceParameters(upstream), timeoutMs: 10_000)
        defer { source.close() }
        try source.query("SELECT 1")
    }

    /// The libpq parameters of a connection to `upstream`'s database `postgres` as the replication role.
    func sourceParameters(_ upstream: Upstream) -> [(String, String)] {
        [
            ("host", upstream.address.host), ("port", "\(upstream.address.port)"), ("user", spec.replicationUser), ("dbname", "postgres"),
            ("passfile", passfile.path), ("application_name", MemberNaming.name(of: spec.nodeID)), ("connect_timeout", "10"),
        ]
    }

    /// Asks `upstream` for a checkpoint (as the replication role, which holds `pg_checkpoint`): a
    /// promoted server's control file names its new timeline only after the checkpoint that ends
    /// the promotion, which runs in the background, and until then pg_rewind finds "no rewind
    /// required" for a diverged old primary. A failure is logged, not thrown: the rewind then says
    /// what is wrong, and a standby that cannot stream is rewound again later.
    func checkpoint(_ upstream: Upstream) {
        do {
            let source = try PostgresConnection(parameters: sourceParameters(upstream), timeoutMs: 10_000)
            defer { source.close() }
            try source.query("CHECKPOINT", timeoutMs: lifecycleToolTimeoutMs)
        } catch {
            logger.warning("could not ask \(upstream) for a checkpoint before the rewind: \(error)")
        }
    }

    /// Renames the data directory of this stopped server to a sibling with a timestamp suffix
    /// (`<data_dir>.moved-YYYYMMDDTHHMMSSZ`) and returns that path. Nothing is ever deleted: the
    /// operator decides what to do with the old directory.
    @discardableResult
    public func moveAside() throws -> String {
        guard postmaster == nil else { throw PostgresError(.state, "the server of \(spec.dataDirectory) runs; stop it first") }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let stamp = formatter.string(from: Date())
        var target = "\(spec.dataDirectory).moved-\(stamp)"
        var attempt = 1
        while FileManager.default.fileExists(atPath: target) {
            attempt += 1
            target = "\(spec.dataDirectory).moved-\(stamp)-\(attempt)"
        }
        guard rename(spec.dataDirectory, target) == 0 else {
            throw PostgresError(
                .environment, setting: "postgres.data_dir",
                "cannot rename \(spec.dataDirectory) to \(target): \(String(cString: strerror(errno)))")
        }
        logger.notice("moved the data directory aside", metadata: ["moved_to": "\(target)"])
        return target
    }
}

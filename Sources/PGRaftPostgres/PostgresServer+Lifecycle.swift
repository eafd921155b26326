import Foundation

extension PostgresServer {
    /// Writes the configuration for `role` (see ``configure(as:members:synchronousStandbyNames:)``),
    /// then starts the server with `pg_ctl start -w` and returns when it accepts connections (a
    /// standby: when it has reached a consistent state). The server logs to
    /// ``PostgresServerSpec/logFile``.
    ///
    /// A server of this data directory that already runs is an error, as is the port taken by
    /// another program (`postgres.port`).
    public func start(as role: ServerRole, members: MemberAddresses, synchronousStandbyNames: String? = nil) throws {
        if let running = postmaster {
            throw PostgresError(.state, "the server of \(spec.dataDirectory) already runs (pid \(running.pid))")
        }
        try checkPort()
        try configure(as: role, members: members, synchronousStandbyNames: synchronousStandbyNames)
        try startServer(options: nil)
        logger.info("started the server", metadata: ["role": "\(role)", "pid": "\(postmaster?.pid ?? 0)"])
    }

    /// `pg_ctl start -w` with `options` for the postmaster (`-o`), then a first connection.
    func startServer(options: String?) throws {
        dropConnection()
        var arguments = ["start", "-D", spec.dataDirectory, "-l", spec.logFile, "-w", "-t", lifecycleSeconds, "-s"]
        if let options { arguments += ["-o", options] }
        do {
            try tools.run("pg_ctl", arguments, timeoutMs: lifecycleToolTimeoutMs)
        } catch var error as PostgresError {
            // pg_ctl only says "examine the log output": the reason is in the server's log.
            let tail = serverLogTail()
            if !tail.isEmpty { error.message += "; the server log ends: " + tail }
            throw error.scrubbed(of: spec.secrets)
        }
        try waitUntil(timeoutMs: spec.startTimeoutMs, "the server did not accept connections") {
            try withConnection { try $0.query("SELECT 1") }
            return true
        }
    }

    /// The last lines of the server's log file, joined with " | " (empty when there is none).
    func serverLogTail(_ count: Int = 5) -> String {
        guard let text = try? String(contentsOfFile: spec.logFile, encoding: .utf8) else { return "" }
        return ToolOutput.lastLines(of: String(text.suffix(8_192)), count)
    }

    /// Stops the server with `pg_ctl stop -m MODE -w` and returns when it is gone; does nothing
    /// when no server of this data directory runs.
    public func stop(_ mode: ShutdownMode = .fast) throws {
        dropConnection()
        guard let running = postmaster else { return }
        try tools.run(
            "pg_ctl", ["stop", "-D", spec.dataDirectory, "-m", mode.rawValue, "-w", "-t", lifecycleSeconds, "-s"],
            timeoutMs: lifecycleToolTimeoutMs)
        logger.info("stopped the server", metadata: ["mode": "\(mode.rawValue)", "pid": "\(running.pid)"])
    }

    /// Makes the running server read its configuration files again (`pg_ctl reload`, which works
    /// in every state, also before a standby accepts connections).
    public func reload() throws {
        guard postmaster != nil else { throw PostgresError(.state, "no server of \(spec.dataDirectory) runs to reload") }
        try tools.run("pg_ctl", ["reload", "-D", spec.dataDirectory, "-s"], timeoutMs: 30_000)
    }

    /// Promotes the running standby (`pg_ctl promote`) and returns when it accepts writes
    /// (`pg_is_in_recovery()` is false), without waiting for the checkpoint that ends the promotion
    /// (a rewind against this server asks for one); does nothing to a server that is already a
    /// primary. The configuration keeps its standby settings, which a primary ignores, until the
    /// next ``configure(as:members:synchronousStandbyNames:)``; the promotion removes `standby.signal`.
    ///
    /// - Important: Set the synchronous standbys (``setSynchronousStandbys(_:)``, which works on a
    ///   standby too) before promoting, so that no commit is acknowledged without them.
    public func promote() throws {
        guard postmaster != nil else { throw PostgresError(.state, "no server of \(spec.dataDirectory) runs to promote") }
        let inRecovery = try withConnection { try $0.query("SELECT pg_is_in_recovery()").first?.first ?? nil }
        guard inRecovery == "t" else { return }
        // pg_ctl's own wait checks every 100 ms; the wait below checks every 5 ms.
        try tools.run("pg_ctl", ["promote", "-D", spec.dataDirectory, "-W", "-s"], timeoutMs: lifecycleToolTimeoutMs)
        try waitUntil(timeoutMs: spec.startTimeoutMs, "the promoted server did not leave recovery") {
            try withConnection { try $0.query("SELECT pg_is_in_recovery()").first?.first ?? nil } == "f"
        }
        // The checkpoint that ends a promotion runs in the background, off the failover's path; a
        // rewind against this server asks for one first (see rewind(from:members:timeoutMs:)).
        logger.info("promoted the server")
    }

    /// Points the running standby at `upstream` without a restart: rewrites `primary_conninfo` and
    /// `primary_slot_name`, reloads (PostgreSQL 13 and later restart the WAL receiver with the new
    /// settings; `wal_retrieve_retry_interval` = 100ms makes it reconnect at once) and returns when
    /// the server reports the new `primary_conninfo`.
    public func follow(_ upstream: Upstream, members: MemberAddresses) throws {
        try configure(as: .standby(of: upstream), members: members)
        try reload()
        let expected = ServerConfiguration.primaryConninfo(spec: spec, upstream: upstream, passfile: passfile)
        try waitUntil(timeoutMs: spec.startTimeoutMs, "the server did not take the new primary_conninfo") {
            try withConnection { try $0.query("SELECT current_setting('primary_conninfo')").first?.first ?? nil } == expected
        }
        // The WAL receiver restarts with the new setting only when the startup process next waits
        // for WAL: until it has left the old upstream, it may still confirm commits there.
        try waitForReceiver("the WAL receiver did not leave its old upstream") { connection in
            let rows = try connection.query("SELECT sender_host, sender_port FROM pg_stat_wal_receiver")
            guard let row = rows.first else { return true }
            return row[0] == upstream.address.host && row[1] == "\(upstream.address.port)"
        }
        logger.info("following a new upstream", metadata: ["upstream": "\(upstream)"])
    }

    /// Makes the running standby stream from nobody, by reload, and returns when its WAL receiver
    /// no longer streams: from then on it takes no WAL from the old primary, so the position it
    /// reports is one that primary can no longer count on for a commit.
    public func detach(members: MemberAddresses) throws {
        try configure(as: .detachedStandby, members: members)
        try reload()
        try waitForReceiver("the server did not stop streaming") { connection in
            let conninfo = try connection.query("SELECT current_setting('primary_conninfo')").first?.first ?? nil
            // No receiver at all: one that is stopping may still flush and confirm a last batch.
            let receivers = try connection.query("SELECT count(*) FROM pg_stat_wal_receiver").first?.first ?? nil
            return (conninfo ?? "").isEmpty && receivers == "0"
        }
        logger.info("no longer streaming from any upstream")
    }

    /// How long a WAL receiver gets to leave its upstream after a reload, and then after each
    /// signal, before the next step (ms).
    static let receiverLeaveTimeoutMs = 2_000

    /// Waits until `left` (asked on a connection) says the WAL receiver has left its old upstream.
    /// After a reload the startup process restarts the receiver only when it next waits for WAL,
    /// so a standby whose replay lags keeps the old one for a while, and a stuck one (frozen, or
    /// blocked on a dead connection) keeps it until it wakes, when it could still confirm commits
    /// to the old primary. So a receiver that has not left within ``receiverLeaveTimeoutMs`` is
    /// asked to end (SIGTERM: it exits with FATAL, and the server goes on), and one that does not is
    /// killed (SIGKILL: the postmaster then restarts the standby's processes, which loses nothing,
    /// recovery resuming from its last restartpoint). The configuration no longer names the old
    /// upstream, so no receiver starts for it again.
    private func waitForReceiver(_ what: String, _ left: (PostgresConnection) throws -> Bool) throws {
        let step = min(Self.receiverLeaveTimeoutMs, spec.startTimeoutMs)
        if (try? waitUntil(timeoutMs: step, what, { try withConnection(left) })) != nil { return }
        for (signal, name) in [(SIGTERM, "SIGTERM"), (SIGKILL, "SIGKILL")] {
            let text = try? withConnection { try $0.query("SELECT pid FROM pg_stat_wal_receiver").first?.first ?? nil }
            guard let pid = text.flatMap({ Int32($0) }), pid > 0 else { break }
            if (try? withConnection(left)) == true { return }
            logger.warning("the WAL receiver has not left its upstream: sending it \(name)", metadata: ["pid": "\(pid)"])
            if signal == SIGKILL { dropConnection() }
            kill(pid, signal)
            if (try? waitUntil(timeoutMs: step, what, { try withConnection(left) })) != nil { return }
        }
        try waitUntil(timeoutMs: spec.startTimeoutMs, what) { try withConnection(left) }
    }
}

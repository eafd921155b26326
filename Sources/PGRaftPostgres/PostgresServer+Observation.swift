import Foundation
import PGRaftBridge

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension PostgresServer {
    /// What the bridge core decides from: the data directory on disk and, when a server of this data
    /// directory answers on its socket, what it says. `members` turns the WAL receiver's sender
    /// into a member. Never throws: what cannot be read is reported as such (an unusable directory,
    /// no running server), and the reason is logged.
    public func observe(members: MemberAddresses) -> ServerObservation {
        let directory = inspectDataDirectory()
        guard case .initialized = directory else { return ServerObservation(dataDirectory: directory) }
        let branch = branchMark()
        guard let running = postmaster else { return ServerObservation(dataDirectory: directory, branch: branch) }
        do {
            return ServerObservation(dataDirectory: directory, branch: branch, running: try observeRunning(pid: running.pid, members: members))
        } catch {
            logger.debug("the server does not answer", metadata: ["error": "\(error)"])
            return ServerObservation(dataDirectory: directory, branch: branch)
        }
    }

    /// The data directory as found on disk: empty (or absent), initialized (with its control data),
    /// or unusable with the reason (not a directory, not empty but no `PG_VERSION`, another major
    /// version, owned by another user, unreadable control data).
    public func inspectDataDirectory() -> ServerObservation.DataDirectory {
        let path = spec.dataDirectory
        var info = stat()
        guard stat(path, &info) == 0 else {
            return errno == ENOENT ? .empty : .unusable("\(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return .unusable("\(path) is not a directory") }
        guard info.st_uid == user.uid else {
            return .unusable("\(path) is owned by \(Self.ownerName(info.st_uid)), not by \(user.name)")
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            return .unusable("\(path) cannot be read")
        }
        if entries.isEmpty { return .empty }
        guard let version = try? String(contentsOfFile: dataFile("PG_VERSION"), encoding: .utf8) else {
            return .unusable("\(path) is not empty and has no PG_VERSION: not a PostgreSQL data directory")
        }
        let major = version.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            let binaries = try binaryMajorVersion()
            guard major == "\(binaries)" else {
                return .unusable("\(path) is of PostgreSQL \(major), the binaries in \(spec.binDirectory) are of \(binaries)")
            }
            let output = try controlDataOutput()
            let isStandby = FileManager.default.fileExists(atPath: dataFile("standby.signal"))
            guard let control = ControlDataParser.parse(output, isStandby: isStandby) else {
                return .unusable("pg_controldata -D \(path) printed no usable control data")
            }
            return .initialized(control)
        } catch {
            return .unusable("\(error)")
        }
    }

    /// What `pg_controldata` prints for the data directory, run again only when `global/pg_control`
    /// changed since the last run.
    func controlDataOutput() throws -> String {
        var info = stat()
        let version: ControlDataCache.FileVersion? =
            stat(dataFile("global/pg_control"), &info) == 0
            ? .init(inode: UInt64(info.st_ino), size: Int64(info.st_size), seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec)
            : nil
        return try controlCache.lock.withLock {
            if let version, version == controlCache.version, let output = controlCache.output { return output }
            let output = try tools.run("pg_controldata", ["-D", spec.dataDirectory], timeoutMs: 30_000).stdout
            // A file changed within the file system's time stamp step of the read may change again
            // with the same stamp (as git's index knows): such a read is not kept. Two seconds
            // cover the coarsest stamps in use.
            let racy = version.map { Date().timeIntervalSince1970 - (Double($0.seconds) + Double($0.nanoseconds) / 1e9) < 2 } ?? true
            controlCache.version = racy ? nil : version
            controlCache.output = output
            return output
        }
    }

    /// Queries the running server (the one whose postmaster is `pid`).
    func observeRunning(pid: Int32, members: MemberAddresses) throws -> ServerObservation.Running {
        try withConnection { connection in
            // One row. pg_walfile_name fails during recovery, hence the CASEs; a primary never goes
            // back into recovery, so the CASEs cannot disagree in the wrong direction.
            let state = try connection.query(
                """
                SELECT pg_is_in_recovery(),
                       CASE WHEN NOT pg_is_in_recovery() THEN pg_walfile_name(pg_current_wal_lsn()) END,
                       CASE WHEN NOT pg_is_in_recovery() THEN pg_current_wal_flush_lsn() END,
                       pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(),
                       current_setting('synchronous_standby_names'),
                       (SELECT timeline_id FROM pg_control_checkpoint()),
                       (SELECT min_recovery_end_timeline FROM pg_control_recovery()),
                       current_setting('data_directory')
                """)
            guard let row = state.first, row.count == 9 else { throw PostgresError(.query, "the state query returned no row") }
            guard let dataDirectory = row[8], Self.sameDirectory(dataDirectory, spec.dataDirectory) else {
                throw PostgresError(.state, "the server on the socket serves \(row[8] ?? "?"), not \(spec.dataDirectory)")
            }
            let inRecovery = row[0] == "t"
            let checkpointTimeline = row[6].flatMap { UInt32($0) } ?? 0
            var running = ServerObservation.Running(
                postmasterPID: pid, inRecovery: inRecovery, timeline: checkpointTimeline, flushed: .zero,
                synchronousStandbyNames: row[5] ?? "")
            if !inRecovery, let walFile = row[1], let flushed = row[2].flatMap(WALPosition.init(text:)) {
                // On a primary the checkpoint's timeline lags after a promotion; the WAL file's name does not.
                running.timeline = UInt32(walFile.prefix(8), radix: 16) ?? checkpointTimeline
                running.flushed = flushed
                running.replayed = flushed
                running.standbys = try connection.query("SELECT application_name, state, flush_lsn FROM pg_stat_replication")
                    .compactMap { standby in
                        guard let node = standby[0].flatMap(MemberNaming.node(named:)) else { return nil }
                        return ServerObservation.ConnectedStandby(
                            node: node, streaming: standby[1] == "streaming", flushed: standby[2].flatMap(WALPosition.init(text:)) ?? .zero)
                    }
                    .sorted { $0.node < $1.node }
                return running
            }
            let replayed = row[4].flatMap(WALPosition.init(text:)) ?? .zero
            running.replayed = replayed
            running.flushed = max(row[3].flatMap(WALPosition.init(text:)) ?? .zero, replayed)
            // Recovery waits for WAL (from a stream, or before trying its sources again) only once
            // it has replayed every record on disk.
            let waitEvent = try connection.query("SELECT wait_event FROM pg_stat_activity WHERE backend_type = 'startup'").first?.first ?? nil
            running.walExhausted = waitEvent == "RecoveryWalStream" || waitEvent == "RecoveryRetrieveRetryInterval"
            let recoveryEnd = row[7].flatMap { UInt32($0) } ?? 0
            running.timeline = max(checkpointTimeline, recoveryEnd)
            if let receiver = try connection.query(
                "SELECT status, received_tli, sender_host, sender_port FROM pg_stat_wal_receiver"
            ).first {
                if let received = receiver[1].flatMap({ UInt32($0) }), received > 0 { running.timeline = received }
                if receiver[0] == "streaming", let host = receiver[2], let port = receiver[3].flatMap({ Int($0) }) {
                    running.streamingFrom = members.node(host: host, port: port)
                }
            }
            return running
        }
    }

    /// Whether two paths name the same directory (after resolving links).
    static func sameDirectory(_ a: String, _ b: String) -> Bool {
        func resolved(_ path: String) -> String { (path as NSString).resolvingSymlinksInPath }
        return resolved(a) == resolved(b)
    }
}

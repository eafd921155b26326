import Foundation
import PGRaftBridge

extension PostgresServer {
    /// Makes a new database cluster in the empty (or absent) data directory and leaves it running
    /// as a primary with the roles pgraft needs:
    ///
    /// 1. `initdb` with the superuser, data checksums (`pg_rewind` needs checksums or
    ///    `wal_log_hints`; pgraft also sets the latter), UTF-8 and the C locale;
    /// 2. a first start that only the server's user can reach (Unix socket, mode 0700, trusting the
    ///    superuser), to set the roles' passwords (``ensureRoles()``) before any password is asked;
    /// 3. the final configuration and a start as primary.
    ///
    /// The C locale keeps the collation of text indexes independent of each host's C library, so
    /// a standby on a host with another glibc reads the primary's indexes correctly. When a step
    /// after `initdb` fails, the server is stopped and the directory left as it is: it holds a
    /// cluster, so a second call refuses it; move it aside to start over.
    public func initialize(members: MemberAddresses) throws {
        if case .initialized = inspectDataDirectory() {
            throw PostgresError(.state, setting: "postgres.data_dir", "\(spec.dataDirectory) already holds a database cluster")
        }
        guard isEmptyOrAbsent(spec.dataDirectory) else {
            throw PostgresError(.state, setting: "postgres.data_dir", "\(spec.dataDirectory) is not empty")
        }
        try checkDataDirectory()
        try checkPort()
        var arguments = [
            "-D", spec.dataDirectory, "-U", spec.superuser, "--auth-local=trust", "--auth-host=scram-sha-256",
            "--data-checksums", "--encoding=UTF8", "--locale=C",
        ]
        if !spec.syncToDisk { arguments.append("--no-sync") }
        try tools.run("initdb", arguments, timeoutMs: 300_000)
        logger.info("initialized a database cluster", metadata: ["data_dir": "\(spec.dataDirectory)"])

        do {
            // Bootstrap: the superuser may not have its password yet, so trust it over a private socket.
            try writeConfiguration(standby: [], synchronousStandbyNames: "", members: nil)
            try AtomicFile.write("local all \(spec.superuser) trust\n", to: dataFile("pg_hba.conf"), owner: user)
            try startServer(options: "-c unix_socket_permissions=0700 -c listen_addresses=''")
            try ensureRoles()
            try stop(.fast)
            try start(as: .primary, members: members, synchronousStandbyNames: "")
        } catch {
            // Leave no half-made server running; the directory stays for the operator to look at.
            try? stop(.immediate)
            throw error
        }
    }

    /// Gives the superuser its password (when it has one) and makes the replication role: `LOGIN
    /// REPLICATION` with its password, the right to run the functions `pg_rewind` reads the source
    /// with, and `pg_checkpoint`, so that a rewind needs no superuser over the network. Idempotent; on a primary.
    ///
    /// Only SCRAM verifiers computed here are sent, so no password reaches the server's logs.
    /// `synchronousCommit` (e.g. `local`) is the session's `synchronous_commit` for these statements.
    public func ensureRoles(synchronousCommit: String? = nil) throws {
        try withConnection { connection in
            if let synchronousCommit { try connection.query("SET synchronous_commit TO \(PostgresConnection.literal(synchronousCommit))") }
            defer { if synchronousCommit != nil { _ = try? connection.query("RESET synchronous_commit") } }
            if let password = spec.superuserPassword {
                let verifier = try connection.scramVerifier(password: password, user: spec.superuser)
                try connection.query(
                    "ALTER ROLE \(PostgresConnection.identifier(spec.superuser)) PASSWORD \(PostgresConnection.literal(verifier))",
                    describedAs: "ALTER ROLE \(spec.superuser) PASSWORD …")
            }
            let role = PostgresConnection.identifier(spec.replicationUser)
            let password = try spec.replicationPassword.map {
                PostgresConnection.literal(try connection.scramVerifier(password: $0, user: spec.replicationUser))
            } ?? "NULL"
            let exists = try connection.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [spec.replicationUser]).count == 1
            try connection.query(
                "\(exists ? "ALTER" : "CREATE") ROLE \(role) WITH LOGIN REPLICATION PASSWORD \(password)",
                describedAs: "\(exists ? "ALTER" : "CREATE") ROLE \(spec.replicationUser) WITH LOGIN REPLICATION PASSWORD …")
            for function in [
                "pg_catalog.pg_ls_dir(text, boolean, boolean)", "pg_catalog.pg_stat_file(text, boolean)",
                "pg_catalog.pg_read_binary_file(text)", "pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)",
            ] {
                try connection.query("GRANT EXECUTE ON FUNCTION \(function) TO \(role)")
            }
            // A rewind asks its source for a checkpoint first (PostgreSQL 15's predefined role).
            try connection.query("GRANT pg_checkpoint TO \(role)")
        }
        logger.info("roles in place", metadata: ["replication_user": "\(spec.replicationUser)"])
    }

    /// Whether `path` does not exist or is an empty directory.
    func isEmptyOrAbsent(_ path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return true }
        return (try? FileManager.default.contentsOfDirectory(atPath: path))?.isEmpty ?? false
    }
}

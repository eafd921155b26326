import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension PostgresServer {
    /// Writes the server's configuration for `role` (see ``ServerConfiguration``): the passfile,
    /// `pgraft.conf`, the include line of `postgresql.conf`, `pg_hba.conf` admitting `members`, and
    /// `standby.signal` present for a standby, absent for a primary. `synchronousStandbyNames` nil keeps
    /// the value the file has. Idempotent; a running server sees the change only after a reload
    /// (most settings) or a restart (the role, the listen address, the port).
    public func configure(as role: ServerRole, members: MemberAddresses, synchronousStandbyNames: String? = nil) throws {
        let standby: [(String, String)]
        switch role {
        case .primary, .detachedStandby: standby = []
        case .standby(let upstream): standby = ServerConfiguration.standbySettings(spec: spec, upstream: upstream, passfile: passfile)
        }
        try writeConfiguration(standby: standby, synchronousStandbyNames: synchronousStandbyNames, members: members)
        let signal = dataFile("standby.signal")
        switch role {
        case .primary:
            guard unlink(signal) == 0 || errno == ENOENT else {
                throw PostgresError(.environment, "cannot remove \(signal): \(String(cString: strerror(errno)))")
            }
        case .standby, .detachedStandby:
            try AtomicFile.write("", to: signal, owner: user)
        }
        logger.info("configured the server", metadata: ["role": "\(role)"])
    }

    /// Rewrites `pg_hba.conf` to admit `members` (and the operator's lines) and reloads the running
    /// server, so a member that joined can replicate from it; the rest of the configuration stays.
    public func admit(members: MemberAddresses) throws {
        try AtomicFile.write(ServerConfiguration.hba(spec: spec, members: members), to: dataFile("pg_hba.conf"), owner: user)
        if postmaster != nil { try reload() }
    }

    /// The parameters of the `pgraft.conf` in the data directory (empty when there is none).
    public func currentConfiguration() -> [String: String] {
        guard let text = try? String(contentsOfFile: dataFile(ServerConfiguration.fileName), encoding: .utf8) else { return [:] }
        return ServerConfiguration.parse(text)
    }

    /// Rewrites `pgraft.conf` with the standby settings and synchronous standby names given (nil:
    /// those the file has), `pg_hba.conf` when `members` is given, the passfile and the include line.
    func writeConfiguration(standby: [(String, String)]?, synchronousStandbyNames: String?, members: MemberAddresses?) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: spec.dataDirectory, isDirectory: &isDirectory), isDirectory.boolValue,
            FileManager.default.fileExists(atPath: dataFile("PG_VERSION"))
        else {
            throw PostgresError(.state, setting: "postgres.data_dir", "\(spec.dataDirectory) is not a PostgreSQL data directory")
        }
        let current = currentConfiguration()
        let keptStandby = ServerConfiguration.standbyParameters.compactMap { name in current[name].map { (name, $0) } }
        let text = ServerConfiguration.render(
            spec: spec, standby: standby ?? keptStandby,
            synchronousStandbyNames: synchronousStandbyNames ?? current["synchronous_standby_names"] ?? "")
        try passfile.write(for: spec, owner: user)
        try AtomicFile.write(text, to: dataFile(ServerConfiguration.fileName), owner: user)
        let postgresqlConf = dataFile("postgresql.conf")
        let conf = (try? String(contentsOfFile: postgresqlConf, encoding: .utf8)) ?? ""
        try AtomicFile.write(ServerConfiguration.withInclude(conf), to: postgresqlConf, owner: user)
        if let members {
            try AtomicFile.write(ServerConfiguration.hba(spec: spec, members: members), to: dataFile("pg_hba.conf"), owner: user)
        }
    }
}

import Foundation
import PGRaftKit
import PGRaftPostgres

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension PostgresServerSpec {
    /// The directory the library keeps its passfile in: `<run_dir>/bridge`.
    ///
    /// Below `run_dir` rather than the node's `data_dir`: `run_dir` is the node's runtime directory
    /// (usually `/run/pgraft`, a tmpfs), so the passwords are not kept on disk, and the bridge
    /// writes the passfile anew from the configuration each time it starts. The server's user must
    /// be able to enter `run_dir` (its WAL receiver reads the passfile): true when pgraftd runs as
    /// that user; when pgraftd runs as root, `run_dir` needs mode 0711.
    static func privateDirectory(runDir: String) -> String {
        runDir + "/bridge"
    }

    /// The longest password file read: a password is a line, not a file's worth.
    static let maxPasswordFileBytes = 65_536

    /// The server that `config`'s postgres section describes, managed for node `config.nodeId`.
    ///
    /// A role's `password_file` is read now, its first line being the password, so a changed file
    /// takes effect when the bridge starts next. An unreadable or empty one is an environment error
    /// naming the setting and the file, and never any of its text; so is a password the effective
    /// YAML does not show and its file no longer gives (`PostgresPassword.unavailable`).
    init(config: NodeConfig) throws {
        guard let postgres = config.postgres else {
            throw PostgresError(.environment, setting: "postgres", "the configuration has no postgres section")
        }
        self.init(
            binDirectory: postgres.binDir, dataDirectory: postgres.dataDir, listenAddress: postgres.listenAddress,
            port: postgres.port, socketDirectory: postgres.socketDir, osUser: postgres.osUser, superuser: postgres.superuser.user,
            superuserPassword: try Self.password(of: postgres.superuser, setting: "postgres.superuser"),
            replicationUser: postgres.replication.user,
            replicationPassword: try Self.password(of: postgres.replication, setting: "postgres.replication"),
            parameters: postgres.parameters, hbaLines: postgres.pgHba, startTimeoutMs: postgres.startTimeoutMs,
            nodeID: UInt64(config.nodeId), privateDirectory: Self.privateDirectory(runDir: config.runDir))
    }

    /// The password of `role` (of the YAML mapping `setting`), nil when it has none.
    private static func password(of role: PostgresRoleSettings, setting: String) throws -> String? {
        switch role.password {
        case nil: return nil
        case .value(let secret): return secret.value
        case .file(let path): return try readPasswordFile(path, setting: setting + ".password_file")
        case .unavailable(let source, let reason):
            throw PostgresError(
                .environment, setting: setting + ".password",
                "not shown in the effective configuration, and cannot be taken from \(source.isEmpty ? "its file" : source): \(reason)")
        }
    }

    /// The first line of the file at `path` (without its line break), which must not be empty.
    static func readPasswordFile(_ path: String, setting: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw PostgresError(.environment, setting: setting, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < maxPasswordFileBytes, !bytes.contains(UInt8(ascii: "\n")) {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw PostgresError(.environment, setting: setting, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        var line = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        guard line.count <= maxPasswordFileBytes else {
            throw PostgresError(.environment, setting: setting, "\(path): the first line is longer than \(maxPasswordFileBytes) bytes")
        }
        guard !line.isEmpty else {
            throw PostgresError(.environment, setting: setting, "\(path): the first line, the password, is empty")
        }
        guard !line.contains(0), let password = String(validating: line, as: UTF8.self) else {
            throw PostgresError(.environment, setting: setting, "\(path): the password is not UTF-8 text without NUL characters")
        }
        return password
    }
}

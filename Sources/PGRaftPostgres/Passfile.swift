import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The libpq password file (`passfile`) through which every connection the library makes, and every
/// connection the server's WAL receiver makes, finds its password.
///
/// It is the one place passwords are written: `<private_dir>/pgpass`, mode 0600, owned by the
/// server's user (libpq ignores a passfile that others can read, and the WAL receiver reads it as
/// that user). Connection strings name the file (`passfile=…`), never a password.
public struct Passfile: Sendable, Equatable {
    /// The file's path.
    public let path: String

    /// The passfile of `spec` (not yet written).
    public init(spec: PostgresServerSpec) {
        path = (spec.privateDirectory as NSString).appendingPathComponent("pgpass")
    }

    /// The file's text for `spec`: one line per role that has a password, matching any host, port
    /// and database (`*:*:*:user:password`, with `:` and `\` escaped).
    static func text(for spec: PostgresServerSpec) -> String {
        var lines: [String] = []
        if let password = spec.superuserPassword { lines.append("*:*:*:\(escape(spec.superuser)):\(escape(password))") }
        if let password = spec.replicationPassword { lines.append("*:*:*:\(escape(spec.replicationUser)):\(escape(password))") }
        return lines.map { $0 + "\n" }.joined()
    }

    /// Writes the file for `spec` (replacing it atomically), 0600 and owned by `owner`; the private
    /// directory is made if it is missing.
    func write(for spec: PostgresServerSpec, owner: OSUser) throws {
        let directory = spec.privateDirectory
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard mkdir(directory, 0o711) == 0 || errno == EEXIST else {
                throw PostgresError(.environment, "cannot create the private directory \(directory): \(String(cString: strerror(errno)))")
            }
        }
        try AtomicFile.write(Self.text(for: spec), to: path, mode: 0o600, owner: owner)
    }

    private static func escape(_ field: String) -> String {
        field.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
    }
}

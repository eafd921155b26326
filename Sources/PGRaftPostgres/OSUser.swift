#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The operating-system user that owns a data directory and runs the server and its tools.
///
/// `initdb` and `postgres` refuse to run as root. So when the library runs as root it runs every
/// tool as this user through `runuser -u USER --` and gives it the files it writes; when it runs as
/// any other user, it runs the tools as itself and this is that user.
public struct OSUser: Sendable, Equatable {
    /// The user's name.
    public var name: String
    /// Its user id.
    public var uid: uid_t
    /// Its primary group id.
    public var gid: gid_t

    /// Whether the library runs as root and must switch to ``name`` for the tools.
    public static var runningAsRoot: Bool { geteuid() == 0 }

    /// The user the tools run as for `spec`: `spec.osUser` when running as root, else the current
    /// user. An unknown `postgres.os_user` is an environment error naming the setting.
    public static func forTools(_ spec: PostgresServerSpec) throws -> OSUser {
        if runningAsRoot {
            guard let user = lookUp(name: spec.osUser) else {
                throw PostgresError(.environment, setting: "postgres.os_user", "no operating-system user '\(spec.osUser)'")
            }
            return user
        }
        let uid = geteuid()
        return lookUp(uid: uid) ?? OSUser(name: "\(uid)", uid: uid, gid: getegid())
    }

    /// The user named `name`, nil when there is none.
    public static func lookUp(name: String) -> OSUser? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return OSUser(name: name, uid: entry.pw_uid, gid: entry.pw_gid)
    }

    /// The user with id `uid`, nil when there is none.
    public static func lookUp(uid: uid_t) -> OSUser? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else { return nil }
        return OSUser(name: String(cString: name), uid: entry.pw_uid, gid: entry.pw_gid)
    }

    /// Gives `path` to this user when running as root (a file the server or a tool must read or
    /// replace); does nothing otherwise.
    func own(_ path: String) throws {
        guard Self.runningAsRoot else { return }
        guard chown(path, uid, gid) == 0 else {
            throw PostgresError(.environment, "cannot give \(path) to \(name): \(String(cString: strerror(errno)))")
        }
    }
}

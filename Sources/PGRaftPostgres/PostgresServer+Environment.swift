import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension PostgresServer {
    /// The tools the library runs.
    public static let requiredTools = ["initdb", "pg_ctl", "pg_basebackup", "pg_rewind", "pg_controldata", "postgres"]

    /// Checks that the environment fits the spec, each failure an error naming the setting: a tool
    /// missing from `postgres.bin_dir`; a data directory owned by another user, or whose parent does
    /// not exist or cannot be written by the server's user (`postgres.data_dir`); the port taken by
    /// something other than this data directory's server (`postgres.port`); a private directory the
    /// server's user cannot enter.
    public func checkEnvironment() throws {
        for tool in Self.requiredTools { _ = try tools.path(of: tool) }
        try checkDataDirectory()
        try checkPrivateDirectory()
        try checkPort()
    }

    /// Checks that the server's user can reach the passfile in the private directory (its WAL
    /// receiver reads it when it connects upstream); a directory not there yet is made when the
    /// passfile is first written.
    public func checkPrivateDirectory() throws {
        var info = stat()
        guard stat(spec.privateDirectory, &info) == 0 else { return }
        let mode = info.st_mode
        let enterable =
            info.st_uid == user.uid ? mode & 0o100 != 0 : info.st_gid == user.gid ? mode & 0o010 != 0 : mode & 0o001 != 0
        guard enterable else {
            throw PostgresError(
                .environment,
                "\(user.name) cannot enter \(spec.privateDirectory) (mode \(String(mode & 0o7777, radix: 8))), where the server reads its passfile")
        }
    }

    /// The data-directory part of ``checkEnvironment()``.
    public func checkDataDirectory() throws {
        let data = spec.dataDirectory
        let parent = (data as NSString).deletingLastPathComponent
        var info = stat()
        guard stat(parent, &info) == 0 else {
            throw PostgresError(.environment, setting: "postgres.data_dir", "the parent directory \(parent) does not exist")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw PostgresError(.environment, setting: "postgres.data_dir", "the parent \(parent) is not a directory")
        }
        guard Self.writable(info, by: user) else {
            throw PostgresError(
                .environment, setting: "postgres.data_dir",
                "the parent directory \(parent) cannot be written by \(user.name) (owner \(Self.ownerName(info.st_uid)), mode \(String(info.st_mode & 0o7777, radix: 8)))")
        }
        if let owner = dataDirectoryOwner(), owner != user.uid {
            throw PostgresError(
                .environment, setting: "postgres.data_dir", "\(data) is owned by \(Self.ownerName(owner)), not by \(user.name)")
        }
    }

    /// Checks that the port is free or held by this data directory's own postmaster; otherwise an
    /// error naming `postgres.port` (another server, or any other program, listens on it).
    public func checkPort() throws {
        let ours = postmaster.map { $0.port == nil || $0.port == spec.port } ?? false
        if ours { return }
        let lockFile = (spec.socketDirectory as NSString).appendingPathComponent(".s.PGSQL.\(spec.port).lock")
        if let text = try? String(contentsOfFile: lockFile, encoding: .utf8),
            let pid = text.split(separator: "\n").first.flatMap({ Int32($0.trimmingCharacters(in: .whitespaces)) }),
            pid > 0, kill(pid, 0) == 0 || errno == EPERM
        {
            throw PostgresError(
                .environment, setting: "postgres.port",
                "port \(spec.port) is in use: the socket \(lockFile) belongs to process \(pid), not to the server of \(spec.dataDirectory)")
        }
        for address in spec.listenAddress.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !address.isEmpty {
            if let taken = Self.portTaken(address: address, port: spec.port) {
                throw PostgresError(
                    .environment, setting: "postgres.port",
                    "port \(spec.port) on \(address) is in use by another program (\(taken)), not by the server of \(spec.dataDirectory)")
            }
        }
    }

    /// The owner of the data directory, nil when it does not exist.
    func dataDirectoryOwner() -> uid_t? {
        var info = stat()
        return stat(spec.dataDirectory, &info) == 0 ? info.st_uid : nil
    }

    static func ownerName(_ uid: uid_t) -> String { OSUser.lookUp(uid: uid)?.name ?? "uid \(uid)" }

    /// Whether `user` may create entries in the directory `info` describes (by its mode bits).
    static func writable(_ info: stat, by user: OSUser) -> Bool {
        let mode = info.st_mode
        if info.st_uid == user.uid { return mode & 0o300 == 0o300 }
        if info.st_gid == user.gid { return mode & 0o030 == 0o030 }
        return mode & 0o003 == 0o003
    }

    /// Why `port` on `address` cannot be bound (the errno text), nil when it can or the address is
    /// not a literal this check understands.
    static func portTaken(address: String, port: Int) -> String? {
        let literal = address == "*" ? "0.0.0.0" : address == "localhost" ? "127.0.0.1" : address
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        let family: Int32
        if inet_pton(AF_INET, literal, &v4.sin_addr) == 1 {
            family = AF_INET
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
        } else if inet_pton(AF_INET6, literal, &v6.sin6_addr) == 1 {
            family = AF_INET6
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
        } else {
            return nil
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        let bound =
            family == AF_INET
            ? withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            : withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        guard bound != 0 else { return nil }
        let code = errno
        return code == EADDRINUSE ? String(cString: strerror(code)) : nil
    }
}

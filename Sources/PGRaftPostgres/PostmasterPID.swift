import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// What a data directory's `postmaster.pid` says: which process is its postmaster, on which port.
public struct PostmasterPID: Sendable, Equatable {
    /// The postmaster's process id (line 1).
    public var pid: Int32
    /// The port it listens on (line 4).
    public var port: Int?

    /// The lock file of the data directory at `dataDirectory`, nil when there is none or it names no
    /// living process (a stale file left by a crash).
    public static func read(dataDirectory: String) -> PostmasterPID? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, let pid = Int32(first.trimmingCharacters(in: .whitespaces)), pid > 0 else { return nil }
        guard kill(pid, 0) == 0 || errno == EPERM else { return nil }
        let port = lines.count > 3 ? Int(lines[3].trimmingCharacters(in: .whitespaces)) : nil
        return PostmasterPID(pid: pid, port: port)
    }
}

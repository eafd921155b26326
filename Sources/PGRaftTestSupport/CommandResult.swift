import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// What a finished command printed and how it ended.
public struct CommandResult: Sendable {
    /// Exit status (128 + signal for a killed command).
    public var status: Int32
    /// Standard output.
    public var stdout: String
    /// Standard error.
    public var stderr: String

    /// Runs `executable` with `arguments` to completion, capturing its output.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> CommandResult
    {
        // Both streams go to files, so that neither can fill up and block the child.
        let base = NSTemporaryDirectory() + "pgraft-cmd-\(getpid())-\(UUID().uuidString)"
        let outFD = open(base + ".out", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let errFD = open(base + ".err", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer {
            close(outFD)
            close(errFD)
            unlink(base + ".out")
            unlink(base + ".err")
        }
        let process = try SpawnedProcess(
            path: executable, arguments: arguments, environment: environment, stdout: outFD, stderr: errFD)
        process.waitUntilExit()
        let out = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        return CommandResult(status: process.terminationStatus, stdout: out, stderr: err)
    }
}

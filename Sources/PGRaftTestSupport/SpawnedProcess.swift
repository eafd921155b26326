import CShims
import Foundation
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A child process started with posix_spawn and reaped with waitpid on its own pid.
///
/// Foundation's `Process` can miss a child's exit when many are spawned from concurrent tests;
/// this does nothing clever, so it cannot.
public final class SpawnedProcess: @unchecked Sendable {
    /// The process id.
    public let pid: Int32
    private let lock = NSLock()
    private var status: Int32?

    /// Starts `path` with `arguments`; stdout and stderr go to the given descriptors (or are inherited).
    public init(path: String, arguments: [String], environment: [String: String] = [:], stdout: Int32 = -1, stderr: Int32 = -1) throws {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = pgr_spawn_io(path, argv, envp, stdout, stderr, &pid)
        guard rc == 0 else { throw SystemError("spawn \(path)", code: rc) }
        self.pid = pid
    }

    /// Whether the process still runs (reaps it if it has ended).
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        guard status == nil else { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
        return status == nil
    }

    /// Blocks until the process has ended.
    public func waitUntilExit() {
        while isRunning { usleep(5_000) }
    }

    /// The exit code, or 128 + the signal that ended it; -1 while it runs.
    public var terminationStatus: Int32 {
        guard !isRunning, let status = lock.withLock({ self.status }) else { return -1 }
        let signal = pgr_wait_termsig(status)
        return signal > 0 ? 128 + signal : pgr_wait_exitcode(status)
    }
}

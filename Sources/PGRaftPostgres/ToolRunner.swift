import Foundation
import Logging

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Runs PostgreSQL's own tools (initdb, pg_ctl, pg_basebackup, pg_rewind, pg_controldata) from
/// `postgres.bin_dir` with a timeout, capturing what they print.
///
/// Tools are started with `posix_spawn` (never a bare `fork` of a multi-threaded Swift process), in
/// a process group of their own so that a timeout kills the tool and anything it started, with the
/// working directory `/` (through `env -C /`), every signal at its default disposition, `LC_ALL=C` (so `pg_controldata`
/// prints what the parser expects) and no inherited `PG*` variable (so the caller's environment
/// cannot point a tool at another server).
///
/// - Important: When the library runs as root, each tool runs as ``PostgresServerSpec/osUser``
///   through `runuser -u USER --`, because `initdb` and `postgres` refuse root and the files the
///   tools create must belong to the server's user. `runuser` needs no password and no terminal,
///   and leaves the environment as given (but for HOME, SHELL, USER and LOGNAME).
public struct ToolRunner: Sendable {
    /// The directory the tools are in (`postgres.bin_dir`).
    public let binDirectory: String
    /// The user the tools run as.
    public let user: OSUser
    private let secrets: [String]
    private let logger: Logger

    /// Where `runuser` is on Debian.
    static let runuserPath = "/usr/sbin/runuser"
    /// coreutils' `env`, which sets the tool's working directory (`-C`).
    static let envPath = "/usr/bin/env"

    /// A runner for `spec`'s binaries and user.
    public init(spec: PostgresServerSpec, logger: Logger) throws {
        binDirectory = spec.binDirectory
        user = try OSUser.forTools(spec)
        secrets = spec.secrets
        self.logger = logger
    }

    /// The path of `tool` in the bin directory; an environment error naming `postgres.bin_dir` and
    /// the file when it is missing or not executable.
    public func path(of tool: String) throws -> String {
        let path = (binDirectory as NSString).appendingPathComponent(tool)
        guard access(path, X_OK) == 0 else {
            let reason = access(path, F_OK) == 0 ? "is not executable" : "does not exist"
            throw PostgresError(.environment, setting: "postgres.bin_dir", "\(path) \(reason)")
        }
        return path
    }

    /// Runs `tool` with `arguments` and returns its output when it exits 0. A tool that fails, is
    /// killed or outlives `timeoutMs` is an error naming the tool, its arguments, the status and
    /// the last lines of its standard error.
    ///
    /// - Important: Blocks the calling thread until the tool ends; arguments must hold no secret
    ///   (they are logged and shown in errors).
    @discardableResult
    public func run(_ tool: String, _ arguments: [String], timeoutMs: Int) throws -> ToolOutput {
        let output = try runAllowingFailure(tool, arguments, timeoutMs: timeoutMs)
        guard output.status == 0 else {
            let tail = output.stderrTail()
            throw PostgresError(
                .toolFailed,
                "\(tool) \(arguments.joined(separator: " ")) exited with status \(output.status)\(tail.isEmpty ? "" : ": \(tail)")"
            ).scrubbed(of: secrets)
        }
        return output
    }

    /// Runs `tool` and returns its output whatever its exit status; only a timeout or a failure to
    /// start it is an error.
    public func runAllowingFailure(_ tool: String, _ arguments: [String], timeoutMs: Int) throws -> ToolOutput {
        let toolPath = try path(of: tool)
        // `env -C /`: a working directory every user can enter (the caller's may be private to root).
        let command = [Self.envPath, "-C", "/", toolPath] + arguments
        let argv = OSUser.runningAsRoot ? [Self.runuserPath, "-u", user.name, "--"] + command : command
        logger.debug("running \(tool)", metadata: ["arguments": "\(arguments.joined(separator: " "))"])
        let started = ContinuousClock.now
        let output = try Self.spawnAndWait(argv, timeoutMs: timeoutMs) {
            PostgresError(.toolTimedOut, "\(tool) \(arguments.joined(separator: " ")) did not finish within \(timeoutMs) ms; killed")
                .scrubbed(of: secrets)
        }
        logger.debug(
            "\(tool) ended", metadata: ["status": "\(output.status)", "elapsed": "\(ContinuousClock.now - started)"])
        return output
    }

    /// Spawns `argv` in its own process group with stdout and stderr captured in unlinked temporary
    /// files (a pipe could be held open forever by a server the tool leaves running), and waits.
    private static func spawnAndWait(_ argv: [String], timeoutMs: Int, timedOut: () -> PostgresError) throws -> ToolOutput {
        let outFD = try temporaryFile()
        defer { close(outFD) }
        let errFD = try temporaryFile()
        defer { close(errFD) }

        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && !$0.key.hasPrefix("LC_") }
        environment["LC_ALL"] = "C"
        environment["LANG"] = "C"
        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outFD, 1)
        posix_spawn_file_actions_adddup2(&actions, errFD, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgv, cEnv)
        guard rc == 0 else {
            throw PostgresError(.toolFailed, "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }

        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        var status: Int32 = 0
        var killed = false
        while true {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { break }
            if waited < 0 && errno != EINTR {
                throw PostgresError(.toolFailed, "waiting for \(argv[0]): \(String(cString: strerror(errno)))")
            }
            if !killed && ContinuousClock.now >= deadline {
                // The whole group: runuser's child and whatever the tool started in it.
                kill(-pid, SIGKILL)
                killed = true
            }
            usleep(killed ? 1_000 : 5_000)
        }
        if killed { throw timedOut() }
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ToolOutput(status: exitStatus, stdout: readAll(outFD), stderr: readAll(errFD))
    }

    private static func temporaryFile() throws -> Int32 {
        var template = Array((NSTemporaryDirectory() + "pgraft-tool-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0, fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 else { throw PostgresError(.toolFailed, "cannot create a temporary file: \(String(cString: strerror(errno)))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return fd
    }

    private static func readAll(_ fd: Int32) -> String {
        lseek(fd, 0, SEEK_SET)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

import CShims

#if canImport(Glibc)
import Glibc
#endif

/// How a component's process ended, as the supervisor records it in the component's slot.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// No exit recorded (the component has not exited yet).
    case none
    /// Exited normally with this code.
    case exited(Int32)
    /// Terminated by this signal.
    case signaled(Int32)

    /// Decodes a `waitpid` status; a stopped or continued status gives `.none`.
    public init(waitStatus: Int32) {
        let signal = pgr_wait_termsig(waitStatus)
        let code = pgr_wait_exitcode(waitStatus)
        if signal > 0 {
            self = .signaled(signal)
        } else if code >= 0 {
            self = .exited(code)
        } else {
            self = .none
        }
    }

    /// Decodes the slot's 64-bit word: tag in the high 32 bits (0 none, 1 exited, 2 signaled), value in
    /// the low 32 bits. An unknown tag decodes as `.none`.
    public init(encoded: Int64) {
        let value = Int32(truncatingIfNeeded: encoded)
        switch encoded >> 32 {
        case 1: self = .exited(value)
        case 2: self = .signaled(value)
        default: self = .none
        }
    }

    /// The slot's 64-bit encoding (see `init(encoded:)`).
    public var encoded: Int64 {
        switch self {
        case .none: return 0
        case .exited(let code): return 1 << 32 | Int64(UInt32(bitPattern: code))
        case .signaled(let signal): return 2 << 32 | Int64(UInt32(bitPattern: signal))
        }
    }

    /// "exit 1", "killed by SIGKILL (9)", or "not exited".
    public var description: String {
        switch self {
        case .none: return "not exited"
        case .exited(let code): return "exit \(code)"
        case .signaled(let signal):
            if let name = ExitStatus.signalNames[signal] { return "killed by \(name) (\(signal))" }
            return "killed by signal \(signal)"
        }
    }

    /// Names of the signals a process can die of.
    private static let signalNames: [Int32: String] = [
        SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
        SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
        SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
        SIGCHLD: "SIGCHLD", SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGTSTP: "SIGTSTP", SIGTTIN: "SIGTTIN",
        SIGTTOU: "SIGTTOU", SIGURG: "SIGURG", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGVTALRM: "SIGVTALRM",
        SIGPROF: "SIGPROF", SIGWINCH: "SIGWINCH", SIGIO: "SIGIO", SIGSYS: "SIGSYS",
    ]
}

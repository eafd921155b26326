import CShims
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The signals the supervisor handles, delivered through a signalfd so that its one loop handles
/// them in order with everything else (no work in signal handlers).
public struct SignalSource {
    /// The descriptor to poll.
    let fd: Int32

    /// Blocks SIGCHLD, SIGTERM, SIGINT and SIGHUP and opens the descriptor.
    ///
    /// - Important: Call before any thread exists, so that no thread receives them instead.
    public init() throws {
        let signals: [Int32] = [SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE]
        let fd = signals.withUnsafeBufferPointer { pgr_signalfd_open($0.baseAddress, Int32($0.count)) }
        guard fd >= 0 else { throw SystemError("signalfd") }
        self.fd = fd
    }

    /// The signals that arrived since the last call.
    func pending() -> [Int32] {
        var result: [Int32] = []
        while true {
            let signal = pgr_signalfd_read(fd)
            guard signal > 0 else { return result }
            result.append(signal)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Tells a live segment owner from a dead one. A pid alone can be reused after a `kill -9`, so the
/// header also records the owner's start time (field 22 of `/proc/<pid>/stat`, clock ticks since boot).
public enum ProcessLiveness {
    /// The state letter and start time of `pid` from `/proc/<pid>/stat`, or nil when unreadable.
    static func stat(pid: Int32) -> (state: UInt8, startTime: UInt64)? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1_024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        // "pid (comm) state ppid ..." — comm may contain spaces and parentheses: split after the last ')'.
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        guard fields.count > 19, let state = fields[0].first,
            let startTime = UInt64(String(decoding: fields[19], as: UTF8.self))
        else { return nil }
        return (state, startTime)
    }

    /// The start time of `pid`, or 0 when it cannot be read.
    static func startTime(pid: Int32) -> UInt64 {
        stat(pid: pid)?.startTime ?? 0
    }

    /// Whether `pid` is a running (not zombie) process started at `startTime` (0: not recorded, any
    /// start time matches).
    public static func isAlive(pid: Int32, startTime: UInt64) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 && errno != EPERM { return false }
        guard let info = stat(pid: pid) else { return true }  // no /proc: trust kill(2)
        if info.state == UInt8(ascii: "Z") || info.state == UInt8(ascii: "X") { return false }
        return startTime == 0 || info.startTime == startTime
    }
}

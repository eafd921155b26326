import CShims
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A spawned component process and the read end of the pipe that carries its stdout and stderr.
struct ChildProcess {
    /// The process id.
    let pid: pid_t
    /// Non-blocking read end of the output pipe; -1 once drained and closed.
    var outputFD: Int32
    /// Bytes after the last newline, kept until the line completes.
    var partialLine: [UInt8] = []

    /// Spawns `path` with `arguments` and `environment`, its output into a new pipe.
    static func spawn(path: String, arguments: [String], environment: [String: String]) throws -> ChildProcess {
        var fds: [Int32] = [0, 0]
        guard pgr_pipe_cloexec(&fds) == 0 else { throw SystemError("pipe for \(path)") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(writeEnd) }
        UnixSocket.setNonBlocking(readEnd)

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = pgr_spawn(path, argv, envp, writeEnd, &pid)
        guard rc == 0 else {
            close(readEnd)
            throw SystemError("spawn \(path)", code: rc)
        }
        return ChildProcess(pid: pid, outputFD: readEnd)
    }

    /// Reads what the pipe holds and hands complete lines to `write`; at end of file, or with
    /// `final`, also the incomplete last line, and closes the pipe.
    mutating func drain(final: Bool = false, write: ([UInt8]) -> Void) {
        guard outputFD >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var reachedEnd = false
        // At most 256 KiB per call: a component flooding its output cannot starve the loop or swell memory.
        var budget = final ? Int.max : 256 * 1024
        while budget > 0 {
            let n = buffer.withUnsafeMutableBytes { read(outputFD, $0.baseAddress, $0.count) }
            if n > 0 {
                partialLine.append(contentsOf: buffer[0..<n])
                budget -= n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            reachedEnd = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            break
        }
        if let lastNewline = partialLine.lastIndex(of: UInt8(ascii: "\n")) {
            write(Array(partialLine[...lastNewline]))
            partialLine.removeFirst(lastNewline + 1)
        } else if partialLine.count > 64 * 1024 {
            write(partialLine + [UInt8(ascii: "\n")])
            partialLine.removeAll()
        }
        if reachedEnd || final {
            if !partialLine.isEmpty { write(partialLine + [UInt8(ascii: "\n")]) }
            partialLine.removeAll()
            close(outputFD)
            outputFD = -1
        }
    }
}

import Synchronization

/// A `RotatingLogFile` that several threads may append to, for a process's own log lines.
public final class SharedLogFile: Sendable {
    private let file: Mutex<RotatingLogFile>

    /// Opens the file at `path` with the given rotation.
    public init(path: String, maxBytes: Int, keep: Int) throws {
        file = Mutex(try RotatingLogFile(path: path, maxBytes: maxBytes, keep: keep))
    }

    /// Appends one or more whole lines.
    public func append(_ bytes: [UInt8]) {
        file.withLock { $0.append(bytes) }
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An append-only log file rotated by size: `name.log` → `name.log.1` → … → `name.log.<keep>`.
///
/// Not thread-safe: one owner writes it (the supervisor writes each component's file from its loop).
public final class RotatingLogFile {
    /// The live file's path.
    public let path: String
    /// Size at which the file is rotated before the next write.
    public let maxBytes: Int
    /// How many rotated files are kept.
    public let keep: Int
    private var fd: Int32 = -1
    private var size = 0

    /// Opens (creating if needed) the file at `path`.
    public init(path: String, maxBytes: Int, keep: Int) throws {
        self.path = path
        self.maxBytes = maxBytes
        self.keep = keep
        try open()
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Appends `bytes`, rotating whenever the file would grow past `maxBytes`: a batch larger than
    /// the room left is split at a line end where it can be, so no file exceeds the limit.
    public func append(_ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while !rest.isEmpty {
            let room = maxBytes - size
            if rest.count <= room {
                writeAll(rest)
                return
            }
            let window = rest.prefix(max(room, 0))
            if let newline = window.lastIndex(of: UInt8(ascii: "\n")) {
                writeAll(rest[...newline])
                rest = rest[(newline + 1)...]
            } else if size == 0 {
                // A single line longer than the whole file: cut it at the limit.
                writeAll(rest.prefix(maxBytes))
                rest = rest.dropFirst(maxBytes)
            }
            rotate()
        }
    }

    private func writeAll(_ bytes: ArraySlice<UInt8>) {
        guard fd >= 0 else { return }
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
            size += n
        }
    }

    /// Appends a whole buffer.
    public func append(_ bytes: [UInt8]) { append(bytes[...]) }

    private func open() throws {
        fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError("open log file \(path)") }
        var info = stat()
        size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    }

    private func rotate() {
        close(fd)
        fd = -1
        for index in stride(from: keep - 1, through: 1, by: -1) {
            rename("\(path).\(index)", "\(path).\(index + 1)")
        }
        if keep >= 1 { rename(path, "\(path).1") } else { unlink(path) }
        try? open()
    }
}

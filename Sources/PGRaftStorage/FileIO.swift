#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Thin POSIX file helpers whose errors name the file.
enum FileIO {
    /// Opens `path`; throws with the path on failure.
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws(StorageError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .system("open \(path)") }
        return fd
    }

    /// Writes all of `bytes` at `offset`.
    static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: UInt64, path: String) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system("write \(path)")
            }
            done += n
        }
    }

    /// Reads up to `count` bytes at `offset` (fewer only at the end of the file).
    static func pread(_ fd: Int32, count: Int, at offset: UInt64, path: String) throws(StorageError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { raw in
                Glibc.pread(fd, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system("read \(path)")
            }
            if n == 0 { break }
            done += n
        }
        if done < count { out.removeLast(count - done) }
        return out
    }

    /// Whether the bytes of the open file from `offset` up to `end` (or the end of the file) are all
    /// zero; read a mebibyte at a time.
    static func isZero(_ fd: Int32, from offset: UInt64, to end: UInt64, path: String) throws(StorageError) -> Bool {
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        var at = offset
        while at < end {
            let piece = try pread(fd, count: Int(min(UInt64(zeros.count), end - at)), at: at, path: path)
            guard !piece.isEmpty else { return true }
            let zero = piece.withUnsafeBytes { bytes in
                zeros.withUnsafeBytes { memcmp(bytes.baseAddress!, $0.baseAddress!, bytes.count) == 0 }
            }
            guard zero else { return false }
            at += UInt64(piece.count)
        }
        return true
    }

    /// The size of the open file.
    static func size(_ fd: Int32, path: String) throws(StorageError) -> UInt64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system("stat \(path)") }
        return UInt64(st.st_size)
    }

    /// fdatasync: the data and the metadata needed to read it (the size) are on disk.
    static func dataSync(_ fd: Int32, path: String) throws(StorageError) {
        guard fdatasync(fd) == 0 else { throw .system("fdatasync \(path)") }
    }

    /// fsync: the data and all metadata are on disk.
    static func fullSync(_ fd: Int32, path: String) throws(StorageError) {
        guard fsync(fd) == 0 else { throw .system("fsync \(path)") }
    }

    /// fsync of a directory, so that created, renamed and removed names in it are on disk.
    static func syncDirectory(_ path: String) throws(StorageError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fullSync(fd, path: path)
    }

    /// Writes `bytes` to `directory/name` atomically and durably: write a temporary file, fsync it,
    /// rename it over the name, fsync the directory.
    static func writeAtomically(_ bytes: [UInt8], directory: String, name: String) throws(StorageError) {
        let path = directory + "/" + name
        let temporary = path + ".tmp"
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try pwriteAll(fd, bytes, at: 0, path: temporary)
            try fullSync(fd, path: temporary)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw .system("rename \(temporary) to \(path)") }
        try syncDirectory(directory)
    }

    /// The whole content of `path`, or nil when it does not exist.
    static func readFile(_ path: String) throws(StorageError) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .system("open \(path)")
        }
        defer { close(fd) }
        let size = try size(fd, path: path)
        return try pread(fd, count: Int(size), at: 0, path: path)
    }

    /// The names in `directory`.
    static func list(_ directory: String) throws(StorageError) -> [String] {
        guard let dir = opendir(directory) else { throw .system("opendir \(directory)") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes `path`.
    static func remove(_ path: String) throws(StorageError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .system("unlink \(path)") }
    }

    /// Creates `path` (and its parents) as a directory if it does not exist.
    static func makeDirectories(_ path: String) throws(StorageError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST { throw .system("mkdir \(current)") }
        }
    }
}

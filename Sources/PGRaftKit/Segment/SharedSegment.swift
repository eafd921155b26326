import CShims

#if canImport(Glibc)
import Glibc
#endif

/// The node's POSIX shared-memory segment (`shm_open` + `mmap(MAP_SHARED)`): created by the supervisor,
/// attached by the components and tools, laid out by registration (`SegmentSection`).
///
/// Sections, each with one writer per field (see `SegmentSection`): header, node identity, component
/// slots, command queue, command status, cluster state, counters, PostgreSQL status.
///
/// Nothing in the segment can be left locked by a killed process: single-writer records are
/// double-buffered sequence locks (`SeqLatch`), counters and slot fields are atomic words, and the only
/// lock, the command queue's producer mutex, is a robust process-shared mutex whose holder keeps the
/// queue consistent at every instant (entries are published by advancing the tail last).
///
/// - Important: `@unchecked Sendable` is sound because the class's own stored properties are immutable
///   after initialization and every access to the mapping goes through an atomic word, a `SeqLatch`
///   (single writer, retrying readers) or the robust mutex; the mapping lives until `deinit`, and the
///   views it hands out (`ComponentSlot`, `ComponentCounters`) keep the segment alive.
public final class SharedSegment: @unchecked Sendable {
    /// The layout version this build reads and writes. Bumped whenever a field moves.
    public static let layoutVersion: UInt32 = SegmentSection.Header.version

    /// The segment's POSIX name, with its leading slash (e.g. "/pgraft-node1").
    public let name: String
    /// The capacities, as recorded in the header.
    public let layout: SegmentLayout
    /// The segment's size in bytes.
    public let size: Int

    let base: UnsafeMutableRawPointer
    let map: SegmentMap
    private let device: UInt64
    private let inode: UInt64

    private init(name: String, layout: SegmentLayout, map: SegmentMap, base: UnsafeMutableRawPointer, device: UInt64, inode: UInt64) {
        self.name = name
        self.layout = layout
        self.map = map
        self.size = map.totalSize
        self.base = base
        self.device = device
        self.inode = inode
    }

    deinit {
        munmap(base, size)
    }

    // MARK: - Header

    /// The pid of the supervisor that created the segment. Writer: supervisor, at creation.
    public var ownerPid: Int32 { pgr_atomic_load_i32(SegmentMemory.i32(base, SegmentSection.Header.ownerPid)) }

    /// Wall-clock milliseconds since the epoch when the segment was created. Writer: supervisor, at creation.
    public var createdAtMs: UInt64 { pgr_atomic_load_u64(SegmentMemory.u64(base, SegmentSection.Header.createdAtMs)) }

    /// Component slots (`layout.componentCapacity`).
    public var componentCapacity: Int { layout.componentCapacity }

    /// Start of `section` in the mapping.
    func pointer(_ section: SegmentSection) -> UnsafeMutableRawPointer { base + map.offset(section) }

    // MARK: - Node

    private var nodeLatch: SeqLatch {
        SeqLatch(base: pointer(.node), recordSize: SegmentSection.NodeRecord.size)
    }

    /// The node's identity. The supervisor rewrites it at most on a reload, so a reader never waits.
    public var node: NodeInfo {
        while true {
            if let node = nodeLatch.read({ SharedSegment.decodeNode($0) }) { return node }
        }
    }

    /// Publishes a new node identity.
    ///
    /// - Important: writer: the supervisor only.
    /// - Throws: `SegmentError.fieldTooLong` when a text field does not fit (nothing is changed).
    public func updateNode(_ node: NodeInfo) throws(SegmentError) {
        let text = try node.encodedText()
        writeNode(node, text: text)
    }

    private func writeNode(_ node: NodeInfo, text: (clusterName: [UInt8], listenAddress: [UInt8])) {
        typealias F = SegmentSection.NodeRecord
        nodeLatch.write { record in
            record.storeBytes(of: node.nodeId, toByteOffset: F.nodeId, as: UInt64.self)
            record.storeBytes(of: UInt32(node.listenPort), toByteOffset: F.listenPort, as: UInt32.self)
            record.storeBytes(of: node.initFlags, toByteOffset: F.initFlags, as: UInt32.self)
            SegmentMemory.writeFixed(text.clusterName, to: record + F.clusterName, capacity: F.textCapacity)
            SegmentMemory.writeFixed(text.listenAddress, to: record + F.listenAddress, capacity: F.textCapacity)
        }
    }

    private static func decodeNode(_ record: UnsafeRawPointer) -> NodeInfo {
        typealias F = SegmentSection.NodeRecord
        return NodeInfo(
            nodeId: record.load(fromByteOffset: F.nodeId, as: UInt64.self),
            clusterName: SegmentMemory.readFixed(record + F.clusterName, capacity: F.textCapacity),
            listenAddress: SegmentMemory.readFixed(record + F.listenAddress, capacity: F.textCapacity),
            listenPort: UInt16(truncatingIfNeeded: record.load(fromByteOffset: F.listenPort, as: UInt32.self)),
            initFlags: record.load(fromByteOffset: F.initFlags, as: UInt32.self))
    }

    // MARK: - Create

    /// Creates the node's segment (mode 0600) and returns it mapped.
    ///
    /// If a segment of this name exists: when the supervisor recorded in its header is alive, this
    /// throws `SegmentError.inUse`; when it is dead (a `kill -9` left the segment behind; its pid and
    /// start time no longer match a running process) or the header is not a pgraft header, the old
    /// segment is removed and a new one created.
    ///
    /// - Parameters:
    ///   - name: POSIX shared-memory name; a leading "/" is added when missing.
    ///   - layout: the capacities; recorded in the header for the processes that attach.
    ///   - node: the node's identity, written into the node section.
    /// - Important: caller: the supervisor, once per node start. It becomes the segment's owner.
    public static func create(name: String, layout: SegmentLayout, node: NodeInfo) throws(SegmentError) -> SharedSegment {
        let name = try normalize(name)
        let map = try SegmentMap(layout: layout)
        let text = try node.encodedText()
        var attempts = 0
        while true {
            let fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
            if fd >= 0 {
                let segment = try build(fd: fd, name: name, layout: layout, map: map)
                segment.writeNode(node, text: text)
                // Last: only now does the segment look valid to a process that attaches.
                pgr_atomic_store_u64(SegmentMemory.u64(segment.base, SegmentSection.Header.magic), SegmentSection.Header.magicValue)
                return segment
            }
            let code = errno
            attempts += 1
            guard code == EEXIST, attempts < 5 else {
                throw .system(operation: "shm_open(O_CREAT|O_EXCL)", name: name, errno: code)
            }
            if let owner = liveOwner(name: name) { throw .inUse(name: name, ownerPid: owner) }
            if shm_unlink(name) != 0 && errno != ENOENT {
                throw .system(operation: "shm_unlink (stale segment)", name: name, errno: errno)
            }
        }
    }

    /// Sizes, maps and initializes a freshly created, empty segment; removes it on failure.
    private static func build(fd: Int32, name: String, layout: SegmentLayout, map: SegmentMap) throws(SegmentError) -> SharedSegment {
        defer { close(fd) }
        func fail(_ operation: String, _ code: Int32) -> SegmentError {
            shm_unlink(name)
            return .system(operation: operation, name: name, errno: code)
        }
        _ = fchmod(fd, 0o600)
        if ftruncate(fd, off_t(map.totalSize)) != 0 { throw fail("ftruncate(\(map.totalSize))", errno) }
        // Reserve the pages now: a full /dev/shm then fails here, not with SIGBUS on a later write.
        let reserved = posix_fallocate(fd, 0, off_t(map.totalSize))
        if reserved != 0 && reserved != EOPNOTSUPP && reserved != EINVAL {
            throw fail("posix_fallocate(\(map.totalSize))", reserved)
        }
        var info = stat()
        if fstat(fd, &info) != 0 { throw fail("fstat", errno) }
        let mapped = mmap(nil, map.totalSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let base = mapped, base != UnsafeMutableRawPointer(bitPattern: -1) else { throw fail("mmap", errno) }

        typealias H = SegmentSection.Header
        // The owner first: from here on a second pgraftd sees a live owner, even before the magic is set.
        let pid = getpid()
        pgr_atomic_store_u64(SegmentMemory.u64(base, H.ownerStartTime), ProcessLiveness.startTime(pid: pid))
        pgr_atomic_store_i32(SegmentMemory.i32(base, H.ownerPid), pid)
        base.storeBytes(of: SharedSegment.layoutVersion, toByteOffset: H.layoutVersion, as: UInt32.self)
        base.storeBytes(of: UInt32(H.size), toByteOffset: H.headerSize, as: UInt32.self)
        base.storeBytes(of: UInt64(map.totalSize), toByteOffset: H.totalSize, as: UInt64.self)
        base.storeBytes(of: UInt32(SegmentSection.allCases.count), toByteOffset: H.sectionCount, as: UInt32.self)
        base.storeBytes(of: UInt64(max(0, pgr_wall_ms())), toByteOffset: H.createdAtMs, as: UInt64.self)
        base.storeBytes(of: UInt32(layout.componentCapacity), toByteOffset: H.componentCapacity, as: UInt32.self)
        base.storeBytes(of: UInt32(layout.queueCapacity), toByteOffset: H.queueCapacity, as: UInt32.self)
        base.storeBytes(of: UInt32(layout.payloadCapacity), toByteOffset: H.payloadCapacity, as: UInt32.self)
        base.storeBytes(of: UInt32(layout.statusCapacity), toByteOffset: H.statusCapacity, as: UInt32.self)
        base.storeBytes(of: UInt32(layout.maxMembers), toByteOffset: H.maxMembers, as: UInt32.self)
        base.storeBytes(of: UInt32(CounterKind.capacity), toByteOffset: H.counterSlots, as: UInt32.self)
        base.storeBytes(of: UInt32(pgr_mutex_size()), toByteOffset: H.mutexSize, as: UInt32.self)
        for section in SegmentSection.allCases {
            let entry = H.sectionTable + section.rawValue * H.sectionEntrySize
            base.storeBytes(of: UInt64(map.offset(section)), toByteOffset: entry, as: UInt64.self)
            base.storeBytes(of: UInt64(map.size(section)), toByteOffset: entry + 8, as: UInt64.self)
            do {
                try section.initialize(base + map.offset(section), layout: layout, segmentName: name)
            } catch {
                munmap(base, map.totalSize)
                shm_unlink(name)
                throw error
            }
        }
        return SharedSegment(
            name: name, layout: layout, map: map, base: base, device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// The pid of the live supervisor owning the existing segment `name`, or nil when the segment is
    /// stale (owner dead, header foreign) or gone.
    ///
    /// A segment whose magic is still zero but whose owner is alive is being created right now: it
    /// counts as in use. (A creator killed before it recorded its pid leaves a header-less segment,
    /// which counts as stale.)
    private static func liveOwner(name: String) -> Int32? {
        let fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, Int(info.st_size) >= SegmentSection.Header.size else { return nil }
        let length = SegmentSection.Header.size
        guard let base = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), base != UnsafeMutableRawPointer(bitPattern: -1)
        else { return nil }
        defer { munmap(base, length) }
        let magic = pgr_atomic_load_u64(SegmentMemory.u64(base, SegmentSection.Header.magic))
        guard magic == SegmentSection.Header.magicValue || magic == 0 else { return nil }
        let pid = pgr_atomic_load_i32(SegmentMemory.i32(base, SegmentSection.Header.ownerPid))
        let startTime = pgr_atomic_load_u64(SegmentMemory.u64(base, SegmentSection.Header.ownerStartTime))
        return ProcessLiveness.isAlive(pid: pid, startTime: startTime) ? pid : nil
    }

    // MARK: - Attach

    /// Maps an existing segment after checking its magic, layout version, size and section table.
    ///
    /// The layout is read from the header: components need not know it.
    /// - Throws: `SegmentError.notFound`, `.badMagic`, `.versionMismatch`, `.sizeMismatch` or `.corrupt`,
    ///   each naming the segment and the value found against the value expected.
    public static func attach(name: String) throws(SegmentError) -> SharedSegment {
        let name = try normalize(name)
        let fd = shm_open(name, O_RDWR | O_CLOEXEC, 0)
        if fd < 0 {
            let code = errno
            if code == ENOENT { throw .notFound(name: name) }
            throw .system(operation: "shm_open", name: name, errno: code)
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw .system(operation: "fstat", name: name, errno: errno) }
        let actualSize = Int(info.st_size)
        typealias H = SegmentSection.Header
        if actualSize < H.size {
            throw .badMagic(name: name, found: "none (the segment is only \(actualSize) bytes)", expected: describeMagic(H.magicValue))
        }
        guard let base = mmap(nil, actualSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
            base != UnsafeMutableRawPointer(bitPattern: -1)
        else { throw .system(operation: "mmap", name: name, errno: errno) }
        do {
            let (layout, map) = try verifyHeader(base, actualSize: actualSize, name: name)
            return SharedSegment(
                name: name, layout: layout, map: map, base: base, device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        } catch {
            munmap(base, actualSize)
            throw error
        }
    }

    private static func verifyHeader(_ base: UnsafeMutableRawPointer, actualSize: Int, name: String) throws(SegmentError)
        -> (SegmentLayout, SegmentMap)
    {
        typealias H = SegmentSection.Header
        let magic = pgr_atomic_load_u64(SegmentMemory.u64(base, H.magic))
        if magic != H.magicValue {
            throw .badMagic(name: name, found: describeMagic(magic), expected: describeMagic(H.magicValue))
        }
        func u32(_ offset: Int) -> UInt32 { base.load(fromByteOffset: offset, as: UInt32.self) }
        let version = u32(H.layoutVersion)
        if version != layoutVersion { throw .versionMismatch(name: name, found: version, expected: layoutVersion) }
        let recorded = base.load(fromByteOffset: H.totalSize, as: UInt64.self)
        if recorded != UInt64(actualSize) {
            throw .sizeMismatch(name: name, found: actualSize, expected: Int(clamping: recorded))
        }
        let fixed: [(String, UInt32, Int)] = [
            ("header size", u32(H.headerSize), H.size),
            ("section count", u32(H.sectionCount), SegmentSection.allCases.count),
            ("counters per component", u32(H.counterSlots), CounterKind.capacity),
            ("mutex size", u32(H.mutexSize), pgr_mutex_size()),
        ]
        for (what, found, expected) in fixed where Int(found) != expected {
            throw .corrupt(name: name, reason: "\(what) is \(found), expected \(expected)")
        }
        let layout = SegmentLayout(
            componentCapacity: Int(u32(H.componentCapacity)), queueCapacity: Int(u32(H.queueCapacity)),
            payloadCapacity: Int(u32(H.payloadCapacity)), statusCapacity: Int(u32(H.statusCapacity)),
            maxMembers: Int(u32(H.maxMembers)))
        let map: SegmentMap
        do {
            map = try SegmentMap(layout: layout)
        } catch {
            throw .corrupt(name: name, reason: "header layout: \(error)")
        }
        if map.totalSize != actualSize {
            throw .corrupt(name: name, reason: "its layout needs \(map.totalSize) bytes, the segment has \(actualSize)")
        }
        for section in SegmentSection.allCases {
            let entry = H.sectionTable + section.rawValue * H.sectionEntrySize
            let offset = base.load(fromByteOffset: entry, as: UInt64.self)
            let size = base.load(fromByteOffset: entry + 8, as: UInt64.self)
            if offset != UInt64(map.offset(section)) || size != UInt64(map.size(section)) {
                throw .corrupt(
                    name: name,
                    reason: "\(section.name) at offset \(offset) size \(size), expected offset \(map.offset(section)) "
                        + "size \(map.size(section))")
            }
        }
        return (layout, map)
    }

    /// The magic as text when printable ("PGRAFTSM"), else in hex.
    static func describeMagic(_ magic: UInt64) -> String {
        let bytes = withUnsafeBytes(of: magic) { Array($0) }
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return "\"" + String(decoding: bytes, as: UTF8.self) + "\"" }
        return "0x" + bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    // MARK: - Unlink

    /// Removes the segment's name, if it still names this segment (not one a newer pgraftd created after
    /// this one was declared stale). Processes that have it mapped keep their mapping.
    ///
    /// - Returns: whether the name was removed.
    @discardableResult
    public func unlink() -> Bool {
        let fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0)
        guard fd >= 0 else { return false }
        var info = stat()
        let same = fstat(fd, &info) == 0 && UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
        close(fd)
        return same && shm_unlink(name) == 0
    }

    /// Removes the segment named `name`, whoever created it (clean-up in tests and tools).
    ///
    /// - Returns: whether a segment was removed.
    @discardableResult
    public static func unlink(name: String) -> Bool {
        guard let name = try? normalize(name) else { return false }
        return shm_unlink(name) == 0
    }

    // MARK: - Names

    /// `name` with a leading "/", or `SegmentError.invalidName`.
    static func normalize(_ name: String) throws(SegmentError) -> String {
        let bare = name.hasPrefix("/") ? String(name.dropFirst()) : name
        if bare.isEmpty { throw .invalidName(name: name, reason: "it is empty") }
        if bare.contains("/") { throw .invalidName(name: name, reason: "only a leading '/' is allowed") }
        if bare.utf8.contains(0) { throw .invalidName(name: name, reason: "it contains a NUL byte") }
        if bare.utf8.count > 250 { throw .invalidName(name: name, reason: "it is longer than 250 bytes") }
        return "/" + bare
    }
}

import CShims
import PGRaftBridge

/// The segment's sections, registered in the order they are laid out. Each declares its size for a
/// layout, its initializer, and (in its field table) the single process that writes each field.
/// Offsets are assigned by `SegmentMap` and recorded in the header's section table.
enum SegmentSection: Int, CaseIterable, Sendable {
    /// Magic, version, sizes, owner, section table. Writer: the supervisor, once, at creation.
    case header = 0
    /// Node identity (`NodeInfo`), a `SeqLatch` record. Writer: the supervisor.
    case node
    /// One `ComponentSlot` per component. Writers: the supervisor (name, state, pid, restarts, started
    /// at, last exit) and the component itself (ready pid, heartbeat).
    case components
    /// The command ring. Writers: producers under the robust mutex (entries, tail, next id, lock holder,
    /// recoveries); the consumer, consensus (head, consumer pid).
    case commandQueue
    /// Command statuses, one `SeqLatch` record per slot. Writer: consensus.
    case commandStatus
    /// The cluster state, a `SeqLatch` record. Writer: consensus.
    case clusterState
    /// Per component slot, `CounterKind.capacity` counters. Writer: the component of that slot.
    case counters
    /// The local PostgreSQL server's status (`PostgresStatusSnapshot`), a `SeqLatch` record. Writer: the
    /// bridge. Last, so that adding it moved no other section (layout version 2).
    case postgresStatus

    /// Name used in error messages.
    var name: String {
        switch self {
        case .header: return "header"
        case .node: return "node section"
        case .components: return "component slots"
        case .commandQueue: return "command queue"
        case .commandStatus: return "command status slots"
        case .clusterState: return "cluster state"
        case .counters: return "counters"
        case .postgresStatus: return "PostgreSQL status"
        }
    }

    /// Bytes the section occupies under `layout`, padded to the section alignment.
    func size(for layout: SegmentLayout) throws(SegmentError) -> Int {
        let raw: Int
        switch self {
        case .header:
            raw = Header.size
        case .node:
            raw = SeqLatch.regionSize(recordSize: NodeRecord.size)
        case .components:
            raw = try SegmentMemory.multiply(layout.componentCapacity, ComponentSlot.stride, name)
        case .commandQueue:
            let entries = try SegmentMemory.multiply(
                layout.queueCapacity, try Queue.entryStride(payloadCapacity: layout.payloadCapacity), name)
            raw = try SegmentMemory.add(Queue.entriesOffset, entries, name)
        case .commandStatus:
            raw = try SegmentMemory.multiply(layout.statusCapacity, StatusRecord.slotStride, name)
        case .clusterState:
            let members = try SegmentMemory.multiply(layout.maxMembers, ClusterRecord.memberStride, name)
            let record = try SegmentMemory.add(ClusterRecord.membersOffset, members, name)
            raw = try SegmentMemory.add(SeqLatch.headerSize, try SegmentMemory.multiply(record, 2, name), name)
        case .counters:
            raw = try SegmentMemory.multiply(layout.componentCapacity, CounterKind.capacity * 8, name)
        case .postgresStatus:
            raw = SeqLatch.regionSize(recordSize: PostgresRecord.size)
        }
        return try SegmentMemory.aligned(raw, name)
    }

    /// Prepares a zero-filled section. Only the queue needs more than zeroes (its mutex).
    func initialize(_ base: UnsafeMutableRawPointer, layout: SegmentLayout, segmentName: String) throws(SegmentError) {
        guard self == .commandQueue else { return }
        let rc = pgr_mutex_init_shared_robust(base.assumingMemoryBound(to: pthread_mutex_t.self))
        if rc != 0 { throw .system(operation: "pthread_mutex_init (command queue)", name: segmentName, errno: rc) }
        pgr_atomic_store_u64(SegmentMemory.u64(base, Queue.nextId), 1)
    }

    // MARK: - Field tables

    /// Header fields. The first 48 bytes keep these offsets in every layout version, so any build can
    /// read the magic, version, size and owner of any segment.
    enum Header {
        static let size = 256
        /// "PGRAFTSM" in memory order. Written last, so a half-built segment never looks valid.
        static let magicValue = UInt64(littleEndian: 0x4D53_5446_4152_4750)
        /// 1: the first layout. 2: the PostgreSQL status section appended (a build of version 1 would
        /// otherwise refuse the segment only as "corrupt", for its section count).
        static let version: UInt32 = 2

        static let magic = 0  // UInt64
        static let layoutVersion = 8  // UInt32
        static let headerSize = 12  // UInt32
        static let totalSize = 16  // UInt64
        static let ownerPid = 24  // Int32
        static let sectionCount = 28  // UInt32
        static let ownerStartTime = 32  // UInt64, clock ticks since boot (/proc/<pid>/stat field 22)
        static let createdAtMs = 40  // UInt64, wall clock
        static let componentCapacity = 48  // UInt32
        static let queueCapacity = 52  // UInt32
        static let payloadCapacity = 56  // UInt32
        static let statusCapacity = 60  // UInt32
        static let maxMembers = 64  // UInt32
        static let counterSlots = 68  // UInt32
        static let mutexSize = 72  // UInt32
        /// One entry per `SegmentSection` (by raw value): offset UInt64, size UInt64.
        static let sectionTable = 80
        static let sectionEntrySize = 16
    }

    /// `NodeInfo` as stored in the node section's `SeqLatch` copies.
    enum NodeRecord {
        static let nodeId = 0  // UInt64
        static let listenPort = 8  // UInt32
        static let initFlags = 12  // UInt32
        static let clusterName = 16  // 64 bytes
        static let listenAddress = 80  // 64 bytes
        static let textCapacity = 64
        static let size = 144
    }

    /// One command-queue section: mutex, producer words, consumer words, then the entries.
    enum Queue {
        /// The mutex occupies the first cache line(s).
        static var mutexRegion: Int { SegmentMemory.roundUp(pgr_mutex_size(), to: SegmentMemory.sectionAlignment)! }
        static var tail: Int { mutexRegion + 0 }  // UInt64, producers under the mutex: entries published
        static var nextId: Int { mutexRegion + 8 }  // UInt64, producers under the mutex: next command id
        static var lockHolderPid: Int { mutexRegion + 16 }  // Int32, the mutex holder: its pid, 0 when free
        static var lockRecoveries: Int { mutexRegion + 24 }  // UInt64, the mutex holder: dead owners recovered
        static var head: Int { mutexRegion + 64 }  // UInt64, consumer: entries consumed
        static var consumerPid: Int { mutexRegion + 72 }  // Int32, consumer: last process that dequeued
        static var entriesOffset: Int { mutexRegion + 128 }

        /// Entry fields (written by the producer that fills the entry, before it publishes it).
        static let entryId = 0  // UInt64
        static let entryType = 8  // UInt32
        static let entryLength = 12  // UInt32
        static let entryTimestampMs = 16  // UInt64
        static let entryProducerPid = 24  // Int32
        static let entryPayload = 32

        static func entryStride(payloadCapacity: Int) throws(SegmentError) -> Int {
            try SegmentMemory.aligned(try SegmentMemory.add(entryPayload, payloadCapacity, "a queue entry"), "a queue entry")
        }
    }

    /// One command status as stored in a status slot's `SeqLatch` copies.
    enum StatusRecord {
        static let id = 0  // UInt64
        static let status = 8  // UInt32
        static let resultIndex = 16  // UInt64
        static let resultTerm = 24  // UInt64
        static let completedAtMs = 32  // UInt64
        static let errorMessage = 40  // 256 bytes
        static let errorCapacity = 256
        static let size = 296
        static let slotStride = SegmentMemory.roundUp(SeqLatch.regionSize(recordSize: size), to: 64)!
    }

    /// `ClusterStateSnapshot` as stored in the cluster section's `SeqLatch` copies.
    enum ClusterRecord {
        static let term = 0  // UInt64
        static let leaderId = 8  // UInt64
        static let role = 16  // UInt32
        static let memberCount = 20  // UInt32
        static let commitIndex = 24  // UInt64
        static let appliedIndex = 32  // UInt64
        static let lastIndex = 40  // UInt64
        static let snapshotIndex = 48  // UInt64
        static let membersOffset = 64

        static let memberId = 0  // UInt64
        static let memberKind = 8  // UInt32
        static let memberMatchIndex = 16  // UInt64
        static let memberNextIndex = 24  // UInt64
        static let memberLastContactMs = 32  // UInt64
        static let memberAddress = 40  // 64 bytes
        static let addressCapacity = 64
        static let memberStride = 104

        static func recordSize(maxMembers: Int) -> Int { membersOffset + maxMembers * memberStride }
    }

    /// `PostgresStatusSnapshot` as stored in the PostgreSQL status section's `SeqLatch` copies.
    /// Every field is written by the bridge in one publication.
    enum PostgresRecord {
        static let publication = 0  // UInt64, publications so far (0: never published)
        static let publishedAtMs = 8  // UInt64, the bridge's monotonic clock (CLOCK_MONOTONIC, ms) at publication
        static let role = 16  // UInt32, `roleCode(_:)`
        static let writable = 20  // UInt32, 0 or 1
        static let timeline = 24  // UInt32
        static let postmasterPid = 28  // Int32, 0: none known
        static let flushed = 32  // UInt64, WAL position
        static let replayed = 40  // UInt64, WAL position
        static let streamingFrom = 48  // UInt64, node id, 0: none
        static let detail = 56  // `detailCapacity` bytes of UTF-8, NUL-padded
        static let detailCapacity = 512
        static let size = detail + detailCapacity

        /// The role's stored code. Stable within a layout version: a new role needs a new code (and the
        /// exhaustive switch makes one impossible to forget).
        static func roleCode(_ role: BridgeStatus.Role) -> UInt32 {
            switch role {
            case .stopped: return 1
            case .preparing: return 2
            case .standby: return 3
            case .promoting: return 4
            case .primary: return 5
            case .fencedPrimary: return 6
            case .refused: return 7
            }
        }

        /// The role stored as `code`; nil for a code no build of this layout writes.
        static func role(code: UInt32) -> BridgeStatus.Role? {
            switch code {
            case 1: return .stopped
            case 2: return .preparing
            case 3: return .standby
            case 4: return .promoting
            case 5: return .primary
            case 6: return .fencedPrimary
            case 7: return .refused
            default: return nil
            }
        }
    }
}

import PGRaftKit
import PGRaftStorageProtocol
import PGRaftBytes

/// The log record inside segment files (see plugins/storage/FORMAT.md).
///
/// ```
/// offset  size  field
///      0     4  payload length N (little-endian)
///      4     4  CRC-32C of bytes 0..<4 and 8..<25+N
///      8     8  term
///     16     8  index
///     24     1  type
///     25     N  payload
/// ```
public enum RecordCodec {
    /// Bytes before the payload.
    public static let headerSize = 25
    /// Payloads above this are refused as corrupt (a frame carries at most 16 MiB).
    public static let maxPayload = LogEntry.maxDataBytes

    /// What the bytes at an offset hold.
    public enum Decoded: Equatable, Sendable {
        /// A whole, valid record of `size` bytes; `entry.data` is empty unless asked for.
        case record(LogEntry, size: Int)
        /// The bytes end before the record does (a header or a payload cut short).
        case incomplete(needed: Int)
        /// The bytes cannot be a record: a length over the limit or a checksum mismatch.
        case invalid(String)
    }

    /// The encoded size of a record with `payloadCount` bytes of data.
    @inline(__always) public static func size(payloadCount: Int) -> Int { headerSize + payloadCount }

    /// Appends the record of `entry` to `out`.
    public static func encode(_ entry: LogEntry, into out: inout [UInt8]) {
        let start = out.count
        var header = ByteWriter(capacity: headerSize)
        header.u32(UInt32(entry.data.count))
        header.u32(0)
        header.u64(entry.term)
        header.u64(entry.index)
        header.u8(entry.type)
        out.append(contentsOf: header.bytes)
        out.append(contentsOf: entry.data)
        var crc = CRC32C.update(0, out, start..<(start + 4))
        crc = CRC32C.update(crc, out, (start + 8)..<out.count)
        withUnsafeBytes(of: crc.littleEndian) { raw in
            for i in 0..<4 { out[start + 4 + i] = raw[i] }
        }
    }

    /// Decodes the record at `offset` of `bytes[..<end]`, never reading past `end`.
    ///
    /// - Parameter withData: whether to copy the payload into the entry (recovery scans need only positions).
    public static func decode(_ bytes: [UInt8], at offset: Int, end: Int? = nil, withData: Bool = true) -> Decoded {
        let end = min(end ?? bytes.count, bytes.count)
        guard offset >= 0, offset <= end else { return .invalid("offset \(offset) outside the buffer") }
        guard end - offset >= headerSize else { return .incomplete(needed: headerSize - (end - offset)) }
        let length = Int(bytes.loadU32(at: offset))
        guard length <= maxPayload else { return .invalid("payload length \(length) exceeds \(maxPayload)") }
        let size = headerSize + length
        guard end - offset >= size else { return .incomplete(needed: size - (end - offset)) }
        let stored = bytes.loadU32(at: offset + 4)
        var crc = CRC32C.update(0, bytes, offset..<(offset + 4))
        crc = CRC32C.update(crc, bytes, (offset + 8)..<(offset + size))
        guard crc == stored else {
            return .invalid("checksum mismatch (stored \(hex(stored)), computed \(hex(crc)))")
        }
        let entry = LogEntry(
            term: bytes.loadU64(at: offset + 8),
            index: bytes.loadU64(at: offset + 16),
            type: bytes[offset + 24],
            data: withData ? Array(bytes[(offset + headerSize)..<(offset + size)]) : [])
        return .record(entry, size: size)
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}

/// The 32-byte header at the start of every segment file.
///
/// ```
/// offset  size  field
///      0     8  magic "PGRFTWAL"
///      8     4  format version (1)
///     12     4  CRC-32C of bytes 0..<12 and 16..<32
///     16     8  segment sequence number
///     24     8  index of the segment's first record
/// ```
public struct SegmentHeader: Equatable, Sendable {
    /// The header's size.
    public static let size = 32
    /// "PGRFTWAL".
    public static let magic: [UInt8] = Array("PGRFTWAL".utf8)
    /// The format version this build writes and reads.
    public static let formatVersion: UInt32 = 1

    /// The segment's sequence number; segments of one log have consecutive numbers.
    public var sequence: UInt64
    /// The index its first record has (or will have).
    public var firstIndex: UInt64

    /// A header.
    public init(sequence: UInt64, firstIndex: UInt64) {
        self.sequence = sequence
        self.firstIndex = firstIndex
    }

    /// The 32 bytes.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        writer.raw(Self.magic)
        writer.u32(Self.formatVersion)
        writer.u32(0)
        writer.u64(sequence)
        writer.u64(firstIndex)
        let crc = CRC32C.update(CRC32C.update(0, writer.bytes, 0..<12), writer.bytes, 16..<32)
        writer.patchU32(crc, at: 12)
        return writer.bytes
    }

    /// Decodes and checks a header.
    public static func decode(_ bytes: [UInt8]) throws(ByteDecodeError) -> SegmentHeader {
        guard bytes.count >= size else { throw ByteDecodeError("segment header is \(bytes.count) bytes, expected \(size)") }
        guard Array(bytes[0..<8]) == magic else { throw ByteDecodeError("bad magic: not a pgraft segment file") }
        let version = bytes.loadU32(at: 8)
        guard version == formatVersion else {
            throw ByteDecodeError("format version \(version) is not supported (this build reads \(formatVersion))")
        }
        let crc = CRC32C.update(CRC32C.update(0, bytes, 0..<12), bytes, 16..<32)
        guard crc == bytes.loadU32(at: 12) else { throw ByteDecodeError("segment header checksum mismatch") }
        return SegmentHeader(sequence: bytes.loadU64(at: 16), firstIndex: bytes.loadU64(at: 24))
    }
}

/// The small fixed files: the hard state (`hardstate`) and the compaction point (`logstart`).
///
/// ```
/// offset  size  field
///      0     8  magic ("PGRFTHST" or "PGRFTLST")
///      8     4  format version (1)
///     12     4  CRC-32C of bytes 0..<12 and 16..<end
///     16   8×n  the fields, 64-bit little-endian
/// ```
enum FixedFile {
    static let hardStateMagic: [UInt8] = Array("PGRFTHST".utf8)
    static let logStartMagic: [UInt8] = Array("PGRFTLST".utf8)

    static func encode(magic: [UInt8], fields: [UInt64]) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + 8 * fields.count)
        writer.raw(magic)
        writer.u32(SegmentHeader.formatVersion)
        writer.u32(0)
        for field in fields { writer.u64(field) }
        let crc = CRC32C.update(CRC32C.update(0, writer.bytes, 0..<12), writer.bytes, 16..<writer.bytes.count)
        writer.patchU32(crc, at: 12)
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8], magic: [UInt8], fieldCount: Int) throws(ByteDecodeError) -> [UInt64] {
        let size = 16 + 8 * fieldCount
        guard bytes.count == size else { throw ByteDecodeError("file is \(bytes.count) bytes, expected \(size)") }
        guard Array(bytes[0..<8]) == magic else { throw ByteDecodeError("bad magic") }
        let version = bytes.loadU32(at: 8)
        guard version == SegmentHeader.formatVersion else {
            throw ByteDecodeError("format version \(version) is not supported (this build reads \(SegmentHeader.formatVersion))")
        }
        let crc = CRC32C.update(CRC32C.update(0, bytes, 0..<12), bytes, 16..<size)
        guard crc == bytes.loadU32(at: 12) else { throw ByteDecodeError("checksum mismatch") }
        return (0..<fieldCount).map { bytes.loadU64(at: 16 + 8 * $0) }
    }
}

/// A snapshot file, `snapshot-<index>-<term>.snap` (16 hex digits each).
///
/// ```
/// offset  size  field
///      0     8  magic "PGRFTSNP"
///      8     4  format version (1)
///     12     4  CRC-32C of bytes 16..<end
///     16     8  last included index
///     24     8  last included term
///     32     4  membership length M
///     36     8  data length D
///     44     M  membership (encoded by consensus)
///   44+M     D  state-machine image
/// ```
public enum SnapshotCodec {
    /// "PGRFTSNP".
    public static let magic: [UInt8] = Array("PGRFTSNP".utf8)
    static let headerSize = 44

    /// The file's bytes.
    public static func encode(_ snapshot: StoredSnapshot) -> [UInt8] {
        var writer = ByteWriter(capacity: headerSize + snapshot.membership.count + snapshot.data.count)
        writer.raw(magic)
        writer.u32(SegmentHeader.formatVersion)
        writer.u32(0)
        writer.u64(snapshot.index)
        writer.u64(snapshot.term)
        writer.u32(UInt32(snapshot.membership.count))
        writer.u64(UInt64(snapshot.data.count))
        writer.raw(snapshot.membership)
        writer.raw(snapshot.data)
        writer.patchU32(CRC32C.update(0, writer.bytes, 16..<writer.bytes.count), at: 12)
        return writer.bytes
    }

    /// Decodes and checks a snapshot file.
    public static func decode(_ bytes: [UInt8]) throws(ByteDecodeError) -> StoredSnapshot {
        guard bytes.count >= headerSize else { throw ByteDecodeError("file is \(bytes.count) bytes, shorter than the header") }
        guard Array(bytes[0..<8]) == magic else { throw ByteDecodeError("bad magic: not a pgraft snapshot") }
        let version = bytes.loadU32(at: 8)
        guard version == SegmentHeader.formatVersion else {
            throw ByteDecodeError("format version \(version) is not supported (this build reads \(SegmentHeader.formatVersion))")
        }
        let membershipCount = UInt64(bytes.loadU32(at: 32))
        let dataCount = bytes.loadU64(at: 36)
        guard dataCount <= UInt64(Int.max / 2), UInt64(headerSize) + membershipCount + dataCount == UInt64(bytes.count) else {
            throw ByteDecodeError("lengths (membership \(membershipCount), data \(dataCount)) do not match the file size \(bytes.count)")
        }
        guard CRC32C.update(0, bytes, 16..<bytes.count) == bytes.loadU32(at: 12) else {
            throw ByteDecodeError("checksum mismatch")
        }
        let membershipEnd = headerSize + Int(membershipCount)
        return StoredSnapshot(
            index: bytes.loadU64(at: 16), term: bytes.loadU64(at: 24),
            membership: Array(bytes[headerSize..<membershipEnd]), data: Array(bytes[membershipEnd...]))
    }

    /// The file name for a snapshot at `index` and `term`.
    public static func fileName(index: UInt64, term: UInt64) -> String {
        "snapshot-\(hex16(index))-\(hex16(term)).snap"
    }
}

/// `value` as 16 lowercase hex digits.
func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

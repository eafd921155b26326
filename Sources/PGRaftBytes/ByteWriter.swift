/// Appends little-endian integers and length-prefixed byte strings to a buffer: the one encoder of
/// every byte format pgraft defines itself (Raft messages, frames, the client and storage protocols,
/// log records, snapshots), so that each format is deterministic and read back by ``ByteReader``.
public struct ByteWriter: Sendable {
    /// What was written so far.
    public var bytes: [UInt8]

    /// An empty writer, with room for `capacity` bytes.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    public mutating func u8(_ value: UInt8) { bytes.append(value) }

    /// Appends a bool as one byte, 0 or 1.
    public mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// Appends a 32-bit little-endian integer.
    public mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a 64-bit little-endian integer.
    public mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends raw bytes.
    public mutating func raw(_ value: [UInt8]) { bytes.append(contentsOf: value) }

    /// Appends a 32-bit length and the bytes.
    public mutating func blob(_ value: [UInt8]) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    /// Appends a 32-bit length and the UTF-8 of `value`.
    public mutating func string(_ value: String) { blob(Array(value.utf8)) }

    /// Overwrites 4 bytes at `offset` with `value`, little-endian (a length known only at the end).
    public mutating func patchU32(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<4 { bytes[offset + i] = raw[i] }
        }
    }
}

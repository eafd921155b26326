/// Appends little-endian integers and length-prefixed byte strings to a buffer.
public struct WireWriter: Sendable {
    /// What was written so far.
    public var bytes: [UInt8]

    /// An empty writer, with room for `capacity` bytes.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    public mutating func u8(_ value: UInt8) { bytes.append(value) }

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

    /// Overwrites 4 bytes at `offset` with `value`, little-endian.
    public mutating func patchU32(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<4 { bytes[offset + i] = raw[i] }
        }
    }
}

/// Why bytes could not be read as a value.
public struct WireDecodeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What was wrong, e.g. "truncated: need 8 bytes at offset 12, have 3".
    public var description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

/// Reads little-endian integers and length-prefixed byte strings from a buffer, refusing to read
/// past its end: every read either returns a value or throws `WireDecodeError`.
public struct WireReader {
    private let bytes: [UInt8]
    /// The offset of the next byte to read.
    public private(set) var offset: Int
    private let end: Int

    /// A reader over `bytes[range]` (all of it by default).
    public init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        self.offset = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    /// Bytes left.
    public var remaining: Int { end - offset }

    private mutating func need(_ count: Int) throws(WireDecodeError) {
        guard count >= 0, count <= end - offset else {
            throw WireDecodeError("truncated: need \(count) bytes at offset \(offset), have \(end - offset)")
        }
    }

    /// One byte.
    public mutating func u8() throws(WireDecodeError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A 32-bit little-endian integer.
    public mutating func u32() throws(WireDecodeError) -> UInt32 {
        try need(4)
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        return value
    }

    /// A 64-bit little-endian integer.
    public mutating func u64() throws(WireDecodeError) -> UInt64 {
        try need(8)
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return value
    }

    /// `count` raw bytes.
    public mutating func raw(_ count: Int) throws(WireDecodeError) -> [UInt8] {
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// A 32-bit length and that many bytes, refusing lengths over `limit`.
    public mutating func blob(limit: Int = Int(UInt32.max)) throws(WireDecodeError) -> [UInt8] {
        let count = Int(try u32())
        guard count <= limit else { throw WireDecodeError("length \(count) at offset \(offset - 4) exceeds \(limit)") }
        return try raw(count)
    }

    /// A 32-bit length and that many bytes of UTF-8.
    public mutating func string(limit: Int = 1 << 20) throws(WireDecodeError) -> String {
        String(decoding: try blob(limit: limit), as: UTF8.self)
    }

    /// Throws unless every byte was read.
    public func expectEnd() throws(WireDecodeError) {
        guard offset == end else { throw WireDecodeError("\(end - offset) unexpected trailing bytes at offset \(offset)") }
    }
}

extension Array where Element == UInt8 {
    /// The little-endian 32-bit integer at `offset` (the caller checked the bounds).
    @inlinable public func loadU32(at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(self[offset + i]) << (8 * UInt32(i)) }
        return value
    }

    /// The little-endian 64-bit integer at `offset` (the caller checked the bounds).
    @inlinable public func loadU64(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(self[offset + i]) << (8 * UInt64(i)) }
        return value
    }
}

/// Why bytes could not be read as a value: what was wrong and at which offset, so that a decoder of
/// bytes from a peer, a socket or a file can say where they went wrong.
public struct ByteDecodeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What was wrong, e.g. "truncated: need 8 bytes at offset 12, have 3".
    public var description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

/// Reads what ``ByteWriter`` writes, refusing to read past the end: every read either returns a
/// value or throws ``ByteDecodeError`` (bytes from the network or the disk never trap a decoder).
public struct ByteReader: Sendable {
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

    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset == end }

    private func need(_ count: Int) throws(ByteDecodeError) {
        guard count >= 0, count <= end - offset else {
            throw ByteDecodeError("truncated: need \(count) bytes at offset \(offset), have \(end - offset)")
        }
    }

    /// One byte.
    public mutating func u8() throws(ByteDecodeError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A bool byte; anything but 0 or 1 is refused.
    public mutating func bool() throws(ByteDecodeError) -> Bool {
        let value = try u8()
        guard value <= 1 else { throw ByteDecodeError("byte \(value) at offset \(offset - 1) is not a bool") }
        return value == 1
    }

    /// A 32-bit little-endian integer.
    public mutating func u32() throws(ByteDecodeError) -> UInt32 {
        try need(4)
        let value = bytes.loadU32(at: offset)
        offset += 4
        return value
    }

    /// A 64-bit little-endian integer.
    public mutating func u64() throws(ByteDecodeError) -> UInt64 {
        try need(8)
        let value = bytes.loadU64(at: offset)
        offset += 8
        return value
    }

    /// `count` raw bytes.
    public mutating func raw(_ count: Int) throws(ByteDecodeError) -> [UInt8] {
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// A 32-bit length and that many bytes, refusing lengths over `limit`.
    public mutating func blob(limit: Int = Int(UInt32.max)) throws(ByteDecodeError) -> [UInt8] {
        let count = Int(try u32())
        guard count <= limit else { throw ByteDecodeError("length \(count) at offset \(offset - 4) exceeds \(limit)") }
        return try raw(count)
    }

    /// A 32-bit length and that many bytes of UTF-8.
    public mutating func string(limit: Int = 1 << 20) throws(ByteDecodeError) -> String {
        String(decoding: try blob(limit: limit), as: UTF8.self)
    }

    /// Throws unless every byte was read.
    public func expectEnd() throws(ByteDecodeError) {
        guard offset == end else { throw ByteDecodeError("\(end - offset) unexpected trailing bytes at offset \(offset)") }
    }
}

extension Array where Element == UInt8 {
    /// The little-endian 32-bit integer at `offset` (the caller checked the bounds).
    @inlinable public func loadU32(at offset: Int) -> UInt32 {
        withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    /// The little-endian 64-bit integer at `offset` (the caller checked the bounds).
    @inlinable public func loadU64(at offset: Int) -> UInt64 {
        withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }
}

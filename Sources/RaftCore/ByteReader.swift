/// The decoder matching ``ByteWriter``; every read returns nil instead of trapping on short input.
public struct ByteReader: Sendable {
    private let bytes: [UInt8]
    private var position: Int = 0

    /// Creates a reader over `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether every byte has been consumed.
    public var isAtEnd: Bool { position == bytes.count }

    /// Reads one byte.
    public mutating func readUInt8() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    /// Reads a 32-bit little-endian integer.
    public mutating func readUInt32() -> UInt32? {
        guard bytes.count - position >= 4 else { return nil }
        let v = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: position, as: UInt32.self)) }
        position += 4
        return v
    }

    /// Reads a 64-bit little-endian integer.
    public mutating func readUInt64() -> UInt64? {
        guard bytes.count - position >= 8 else { return nil }
        let v = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: position, as: UInt64.self)) }
        position += 8
        return v
    }

    /// Reads a bool byte (0 or 1).
    public mutating func readBool() -> Bool? {
        guard let b = readUInt8(), b <= 1 else { return nil }
        return b == 1
    }

    /// Reads a length-prefixed byte array.
    public mutating func readBytes() -> [UInt8]? {
        guard let n = readUInt32(), bytes.count - position >= Int(n) else { return nil }
        defer { position += Int(n) }
        return Array(bytes[position..<position + Int(n)])
    }

    /// Reads a length-prefixed UTF-8 string.
    public mutating func readString() -> String? {
        guard let b = readBytes() else { return nil }
        return String(decoding: b, as: UTF8.self)
    }
}

/// A little-endian, length-prefixed byte encoder used for every deterministic encoding of the core.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    public mutating func write(_ v: UInt8) { bytes.append(v) }

    /// Appends a 32-bit little-endian integer.
    public mutating func write(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a 64-bit little-endian integer.
    public mutating func write(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a bool as one byte.
    public mutating func write(_ v: Bool) { bytes.append(v ? 1 : 0) }

    /// Appends a 32-bit length followed by the bytes.
    public mutating func write(_ v: [UInt8]) {
        write(UInt32(v.count))
        bytes.append(contentsOf: v)
    }

    /// Appends a UTF-8 string, length-prefixed.
    public mutating func write(_ v: String) { write(Array(v.utf8)) }
}

/// A little-endian, length-prefixed byte encoder used for every deterministic encoding of the core.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// Creates an empty writer.
    public init() {}

    /// Appends one byte.
    public mutating func write(_ v: UInt8) { bytes.append(v) }

    /// Appends a 32-bit little-endian integer.
    public mutating func write(_ v: UInt32) {
        for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
    }

    /// Appends a 64-bit little-endian integer.
    public mutating func write(_ v: UInt64) {
        for s in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) }
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

/// A position in PostgreSQL's write-ahead log (an LSN): what the failover logic compares to find the
/// most advanced server, and what a standby reports as received or replayed.
///
/// PostgreSQL writes it as two hexadecimal halves, `16/B374D848`; ``description`` does the same.
public struct WALPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 64-bit byte position.
    public var value: UInt64

    /// The position `value`.
    public init(_ value: UInt64) {
        self.value = value
    }

    /// Parses PostgreSQL's text form (`16/B374D848`); nil when it is not one.
    public init?(text: String) {
        let halves = text.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, (1...8).contains(halves[0].count), (1...8).contains(halves[1].count),
            let high = UInt64(halves[0], radix: 16), let low = UInt64(halves[1], radix: 16)
        else { return nil }
        value = high << 32 | low
    }

    /// The position before any WAL.
    public static let zero = WALPosition(0)

    /// `HIGH/LOW` in hexadecimal, as PostgreSQL prints it.
    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    /// The bytes from `other` to this position (0 when `other` is ahead).
    public func bytes(after other: WALPosition) -> UInt64 {
        value >= other.value ? value - other.value : 0
    }

    public static func < (a: WALPosition, b: WALPosition) -> Bool { a.value < b.value }
}

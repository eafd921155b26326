/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every storage file.
///
/// Slicing-by-8 in software: about a byte per cycle, far below the cost of the fsync it guards.
public enum CRC32C {
    private static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var crc = UInt32(n)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            table[n] = crc
        }
        for n in 0..<256 {
            var crc = table[n]
            for slice in 1..<8 {
                crc = table[Int(crc & 0xFF)] ^ (crc >> 8)
                table[slice * 256 + n] = crc
            }
        }
        return table
    }()

    /// The checksum of `bytes`, continuing from `crc` (the checksum of what came before, 0 to start).
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        var count = bytes.count
        guard var p = bytes.baseAddress else { return crc }
        table.withUnsafeBufferPointer { t in
            while count >= 8 {
                let lo = UInt32(p.load(fromByteOffset: 0, as: UInt8.self))
                    | UInt32(p.load(fromByteOffset: 1, as: UInt8.self)) << 8
                    | UInt32(p.load(fromByteOffset: 2, as: UInt8.self)) << 16
                    | UInt32(p.load(fromByteOffset: 3, as: UInt8.self)) << 24
                let one = lo ^ c
                c = t[7 * 256 + Int(one & 0xFF)] ^ t[6 * 256 + Int((one >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((one >> 16) & 0xFF)] ^ t[4 * 256 + Int(one >> 24)]
                    ^ t[3 * 256 + Int(p.load(fromByteOffset: 4, as: UInt8.self))]
                    ^ t[2 * 256 + Int(p.load(fromByteOffset: 5, as: UInt8.self))]
                    ^ t[1 * 256 + Int(p.load(fromByteOffset: 6, as: UInt8.self))]
                    ^ t[Int(p.load(fromByteOffset: 7, as: UInt8.self))]
                p += 8
                count -= 8
            }
            while count > 0 {
                c = t[Int((c ^ UInt32(p.load(as: UInt8.self))) & 0xFF)] ^ (c >> 8)
                p += 1
                count -= 1
            }
        }
        return ~c
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }

    /// The checksum of `bytes[range]`, continuing from `crc`.
    public static func update(_ crc: UInt32, _ bytes: [UInt8], _ range: Range<Int>) -> UInt32 {
        bytes.withUnsafeBytes { update(crc, UnsafeRawBufferPointer(rebasing: $0[range])) }
    }
}

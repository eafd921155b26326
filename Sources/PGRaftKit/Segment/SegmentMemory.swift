import CShims

/// Raw-memory helpers shared by the segment's sections: aligned word access, fixed-size strings and
/// overflow-checked size arithmetic. Internal: nothing outside the segment touches raw offsets.
enum SegmentMemory {
    /// Every section starts on, and is padded to, this boundary (one cache line).
    static let sectionAlignment = 64

    /// `value` rounded up to a multiple of `alignment` (a power of two), or nil on overflow.
    static func roundUp(_ value: Int, to alignment: Int) -> Int? {
        let (sum, overflow) = value.addingReportingOverflow(alignment - 1)
        return overflow ? nil : sum & ~(alignment - 1)
    }

    /// `a + b`, or `SegmentError.invalidLayout` naming `what` on overflow.
    static func add(_ a: Int, _ b: Int, _ what: String) throws(SegmentError) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        if overflow { throw .invalidLayout(reason: "size of \(what) overflows") }
        return sum
    }

    /// `a * b`, or `SegmentError.invalidLayout` naming `what` on overflow.
    static func multiply(_ a: Int, _ b: Int, _ what: String) throws(SegmentError) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        if overflow { throw .invalidLayout(reason: "size of \(what) overflows") }
        return product
    }

    /// `value` rounded up to the section alignment, or `SegmentError.invalidLayout` on overflow.
    static func aligned(_ value: Int, _ what: String) throws(SegmentError) -> Int {
        guard let result = roundUp(value, to: sectionAlignment) else {
            throw .invalidLayout(reason: "size of \(what) overflows")
        }
        return result
    }

    // MARK: - Words

    static func u64(_ base: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeMutablePointer<UInt64> {
        (base + offset).assumingMemoryBound(to: UInt64.self)
    }

    static func i64(_ base: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeMutablePointer<Int64> {
        (base + offset).assumingMemoryBound(to: Int64.self)
    }

    static func u32(_ base: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeMutablePointer<UInt32> {
        (base + offset).assumingMemoryBound(to: UInt32.self)
    }

    static func i32(_ base: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeMutablePointer<Int32> {
        (base + offset).assumingMemoryBound(to: Int32.self)
    }

    // MARK: - Fixed-size strings

    /// The UTF-8 bytes of `string` if they fit in `capacity` bytes and contain no NUL, else nil.
    static func exactBytes(_ string: String, capacity: Int) -> [UInt8]? {
        let bytes = Array(string.utf8)
        guard bytes.count <= capacity, !bytes.contains(0) else { return nil }
        return bytes
    }

    /// The longest prefix of `string` (whole characters, stopping at any NUL) that fits in `capacity`
    /// UTF-8 bytes.
    static func truncatedBytes(_ string: String, capacity: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(min(capacity, string.utf8.count))
        for character in string {
            let bytes = Array(String(character).utf8)
            if bytes.contains(0) || result.count + bytes.count > capacity { break }
            result.append(contentsOf: bytes)
        }
        return result
    }

    /// The UTF-8 bytes of `string` when they fit in `capacity` and contain no NUL; else the longest
    /// prefix of whole characters (stopping at any NUL) that fits with `marker` after it, then `marker`.
    /// The result is valid UTF-8 of at most `capacity` bytes (no marker if even it does not fit).
    static func truncatedBytes(_ string: String, capacity: Int, marker: String) -> [UInt8] {
        if let exact = exactBytes(string, capacity: capacity) { return exact }
        let tail = Array(marker.utf8)
        guard tail.count <= capacity else { return truncatedBytes(string, capacity: capacity) }
        return truncatedBytes(string, capacity: capacity - tail.count) + tail
    }

    /// Writes `bytes` (at most `capacity`) at `destination` and zero-fills the rest of the field.
    static func writeFixed(_ bytes: [UInt8], to destination: UnsafeMutableRawPointer, capacity: Int) {
        let count = min(bytes.count, capacity)
        bytes.withUnsafeBytes { source in
            if count > 0 { destination.copyMemory(from: source.baseAddress!, byteCount: count) }
        }
        if count < capacity { (destination + count).initializeMemory(as: UInt8.self, repeating: 0, count: capacity - count) }
    }

    /// Reads a NUL-padded field of `capacity` bytes. Never traps, whatever the bytes are (a reader may
    /// decode a copy a writer is changing before it detects that and retries).
    static func readFixed(_ source: UnsafeRawPointer, capacity: Int) -> String {
        let bytes = UnsafeRawBufferPointer(start: source, count: capacity)
        let length = bytes.firstIndex(of: 0) ?? capacity
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<length]), as: UTF8.self)
    }
}

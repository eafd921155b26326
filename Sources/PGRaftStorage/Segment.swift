/// One segment file's place in the log, as kept in memory: no entries, only positions.
///
/// `checkpoints[k]` is the byte offset of the record with index `firstIndex + k × stride`; a read
/// starts at the checkpoint at or before the wanted index and scans at most `stride - 1` records.
/// With the default stride of 32 that is 4 bytes of memory per 32 entries.
struct Segment {
    /// Sequence number, from the file name and the header.
    var sequence: UInt64
    /// Index of the first record.
    var firstIndex: UInt64
    /// Records in the file.
    var count: UInt64
    /// Offset just past the last valid record: the file's logical size.
    var endOffset: UInt64
    /// Offsets of every `stride`-th record.
    var checkpoints: [UInt32]
    /// The file's path.
    var path: String

    /// The index the next record appended to this segment gets.
    var nextIndex: UInt64 { firstIndex + count }

    /// The file name of segment `sequence`.
    static func fileName(sequence: UInt64) -> String { "wal-\(hex16(sequence)).seg" }

    /// The sequence number in a segment file name, or nil for another file.
    static func sequence(fromFileName name: String) -> UInt64? {
        guard name.hasPrefix("wal-"), name.hasSuffix(".seg"), name.utf8.count == 24 else { return nil }
        return UInt64(name.dropFirst(4).dropLast(4), radix: 16)
    }

    /// Checkpoints needed for `count` records.
    static func checkpointCount(records count: UInt64, stride: Int) -> Int {
        count == 0 ? 0 : Int((count - 1) / UInt64(stride)) + 1
    }
}

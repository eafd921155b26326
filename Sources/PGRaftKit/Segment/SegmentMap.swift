/// Where each section lives for a given layout: sections registered in `SegmentSection` order, each
/// 64-byte aligned, sizes added with overflow checks (as PostgreSQL's `add_size` in `ipci.c`).
struct SegmentMap: Equatable, Sendable {
    /// Offset and size of one section.
    struct Entry: Equatable, Sendable {
        var offset: Int
        var size: Int
    }

    /// One entry per `SegmentSection`, indexed by raw value.
    let entries: [Entry]
    /// Sum of all sections: the segment's size.
    let totalSize: Int

    /// Largest segment this code creates (a sanity bound far above any real configuration).
    static let maximumSize = 1 << 32

    init(layout: SegmentLayout) throws(SegmentError) {
        try layout.validate()
        var entries: [Entry] = []
        var offset = 0
        for section in SegmentSection.allCases {
            let size = try section.size(for: layout)
            entries.append(Entry(offset: offset, size: size))
            offset = try SegmentMemory.add(offset, size, "the segment")
        }
        if offset > SegmentMap.maximumSize {
            throw .invalidLayout(reason: "the segment would be \(offset) bytes; the limit is \(SegmentMap.maximumSize)")
        }
        self.entries = entries
        self.totalSize = offset
    }

    /// Offset of `section` from the start of the mapping.
    func offset(_ section: SegmentSection) -> Int { entries[section.rawValue].offset }

    /// Size of `section`.
    func size(_ section: SegmentSection) -> Int { entries[section.rawValue].size }
}

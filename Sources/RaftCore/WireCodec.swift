import PGRaftBytes

/// The byte encodings of what crosses process and machine boundaries: messages between members,
/// and the membership stored with a snapshot. Built on ``ByteWriter``/``ByteReader``, so they are
/// deterministic, and every decoder answers nil for malformed input instead of trapping: the bytes
/// come from the network.
extension Message {
    /// Version byte at the start of every encoded message; a decoder refuses other versions.
    public static let wireVersion: UInt8 = 1

    /// The message's bytes for the peer protocol.
    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 72 + context.count + entries.reduce(0) { $0 + $1.data.count + 21 } + (snapshot?.data.count ?? 0))
        w.u8(Self.wireVersion)
        w.u8(kind.rawValue)
        w.u64(from)
        w.u64(to)
        w.u64(term)
        w.u64(logTerm)
        w.u64(index)
        w.u64(commit)
        w.bool(reject)
        w.u64(rejectHint)
        w.blob(context)
        w.u32(UInt32(entries.count))
        for e in entries { e.write(to: &w) }
        if let snapshot {
            w.bool(true)
            snapshot.write(to: &w)
        } else {
            w.bool(false)
        }
        return w.bytes
    }

    /// Decodes ``encode()``'s output; nil when the bytes are not exactly one valid message.
    public static func decode(_ bytes: [UInt8]) -> Message? {
        var r = ByteReader(bytes)
        guard let m = try? read(from: &r, total: bytes.count), r.isAtEnd, m.isWellFormed else { return nil }
        return m
    }

    private static func read(from r: inout ByteReader, total: Int) throws(ByteDecodeError) -> Message? {
        guard try r.u8() == wireVersion, let kind = Kind(rawValue: try r.u8()) else { return nil }
        var m = Message(kind: kind, from: try r.u64(), to: try r.u64(), term: try r.u64())
        m.logTerm = try r.u64()
        m.index = try r.u64()
        m.commit = try r.u64()
        m.reject = try r.bool()
        m.rejectHint = try r.u64()
        m.context = try r.blob()
        let count = try r.u32()
        guard Int(count) <= total else { return nil }
        m.entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let e = try Entry.read(from: &r) else { return nil }
            m.entries.append(e)
        }
        if try r.bool() {
            guard let s = try Snapshot.read(from: &r) else { return nil }
            m.snapshot = s
        }
        return m
    }

    /// The largest term a message may carry: far beyond any real cluster's life, and far enough
    /// below `UInt64.max` that a node adopting it can still count up.
    public static let maxTerm: UInt64 = 1 << 62

    /// Whether the fields are consistent with each other, as the core assumes of every message it
    /// steps: a peer sending anything else (a bug, or bytes crafted by whoever can reach the port)
    /// is dropped rather than allowed to break the core's invariants.
    var isWellFormed: Bool {
        guard from != 0, term < Self.maxTerm, logTerm < Self.maxTerm else { return false }
        switch kind {
        case .append:
            // Entries follow `index` one by one, with terms that never go down and never pass the message's.
            var expected = index
            var previousTerm: UInt64 = 0
            for e in entries {
                guard expected < UInt64.max, e.index == expected + 1, e.term >= previousTerm, e.term <= term else { return false }
                expected = e.index
                previousTerm = e.term
            }
            return true
        case .snapshot:
            guard let s = snapshot else { return false }
            return s.metadata.term < Self.maxTerm && s.metadata.term <= term
        case .propose:
            return !entries.isEmpty
        default:
            return entries.isEmpty
        }
    }
}

extension Entry {
    func write(to w: inout ByteWriter) {
        w.u64(term)
        w.u64(index)
        w.u8(kind.rawValue)
        w.blob(data)
    }

    static func read(from r: inout ByteReader) throws(ByteDecodeError) -> Entry? {
        let term = try r.u64()
        let index = try r.u64()
        guard let kind = Kind(rawValue: try r.u8()) else { return nil }
        return Entry(term: term, index: index, kind: kind, data: try r.blob())
    }
}

extension Snapshot {
    func write(to w: inout ByteWriter) {
        w.u64(metadata.index)
        w.u64(metadata.term)
        metadata.confState.write(to: &w)
        w.blob(data)
    }

    static func read(from r: inout ByteReader) throws(ByteDecodeError) -> Snapshot? {
        let index = try r.u64()
        let term = try r.u64()
        guard let conf = try ConfState.read(from: &r) else { return nil }
        return Snapshot(metadata: Metadata(index: index, term: term, confState: conf), data: try r.blob())
    }
}

extension ConfState {
    /// The membership's bytes, as stored beside a snapshot.
    public func encode() -> [UInt8] {
        var w = ByteWriter()
        write(to: &w)
        return w.bytes
    }

    /// Decodes ``encode()``'s output; nil when malformed.
    public static func decode(_ bytes: [UInt8]) -> ConfState? {
        var r = ByteReader(bytes)
        guard let c = try? read(from: &r), r.isAtEnd else { return nil }
        return c
    }

    /// Appends the encoding to `w` (inside a larger record, such as the state machine's snapshot).
    public func write(to w: inout ByteWriter) {
        for list in [voters, votersOutgoing, learners, learnersNext] {
            w.u32(UInt32(list.count))
            for id in list { w.u64(id) }
        }
        w.bool(autoLeave)
    }

    /// Reads an encoding written by ``write(to:)``; nil (or a decode error) when the bytes do not hold one.
    public static func read(from r: inout ByteReader) throws(ByteDecodeError) -> ConfState? {
        var lists: [[NodeID]] = []
        for _ in 0..<4 {
            let n = try r.u32()
            guard n < 1 << 16 else { return nil }
            var ids: [NodeID] = []
            for _ in 0..<n { ids.append(try r.u64()) }
            lists.append(ids)
        }
        let autoLeave = try r.bool()
        return ConfState(voters: lists[0], votersOutgoing: lists[1], learners: lists[2], learnersNext: lists[3], autoLeave: autoLeave)
    }
}

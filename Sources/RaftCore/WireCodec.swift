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
        w.write(Self.wireVersion)
        w.write(kind.rawValue)
        w.write(from)
        w.write(to)
        w.write(term)
        w.write(logTerm)
        w.write(index)
        w.write(commit)
        w.write(reject)
        w.write(rejectHint)
        w.write(context)
        w.write(UInt32(entries.count))
        for e in entries { e.write(to: &w) }
        if let snapshot {
            w.write(true)
            snapshot.write(to: &w)
        } else {
            w.write(false)
        }
        return w.bytes
    }

    /// Decodes ``encode()``'s output; nil when the bytes are not exactly one valid message.
    public static func decode(_ bytes: [UInt8]) -> Message? {
        var r = ByteReader(bytes)
        guard r.readUInt8() == wireVersion, let rawKind = r.readUInt8(), let kind = Kind(rawValue: rawKind),
            let from = r.readUInt64(), let to = r.readUInt64(), let term = r.readUInt64()
        else { return nil }
        var m = Message(kind: kind, from: from, to: to, term: term)
        guard let logTerm = r.readUInt64(), let index = r.readUInt64(), let commit = r.readUInt64(),
            let reject = r.readBool(), let hint = r.readUInt64(), let context = r.readBytes(),
            let count = r.readUInt32(), Int(count) <= bytes.count
        else { return nil }
        m.logTerm = logTerm
        m.index = index
        m.commit = commit
        m.reject = reject
        m.rejectHint = hint
        m.context = context
        m.entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let e = Entry.read(from: &r) else { return nil }
            m.entries.append(e)
        }
        guard let hasSnapshot = r.readBool() else { return nil }
        if hasSnapshot {
            guard let s = Snapshot.read(from: &r) else { return nil }
            m.snapshot = s
        }
        return r.isAtEnd && m.isWellFormed ? m : nil
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
        w.write(term)
        w.write(index)
        w.write(kind.rawValue)
        w.write(data)
    }

    static func read(from r: inout ByteReader) -> Entry? {
        guard let term = r.readUInt64(), let index = r.readUInt64(), let raw = r.readUInt8(),
            let kind = Kind(rawValue: raw), let data = r.readBytes()
        else { return nil }
        return Entry(term: term, index: index, kind: kind, data: data)
    }
}

extension Snapshot {
    func write(to w: inout ByteWriter) {
        w.write(metadata.index)
        w.write(metadata.term)
        metadata.confState.write(to: &w)
        w.write(data)
    }

    static func read(from r: inout ByteReader) -> Snapshot? {
        guard let index = r.readUInt64(), let term = r.readUInt64(), let conf = ConfState.read(from: &r),
            let data = r.readBytes()
        else { return nil }
        return Snapshot(metadata: Metadata(index: index, term: term, confState: conf), data: data)
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
        guard let c = read(from: &r), r.isAtEnd else { return nil }
        return c
    }

    /// Appends the encoding to `w` (inside a larger record, such as the state machine's snapshot).
    public func write(to w: inout ByteWriter) {
        for list in [voters, votersOutgoing, learners, learnersNext] {
            w.write(UInt32(list.count))
            for id in list { w.write(id) }
        }
        w.write(autoLeave)
    }

    /// Reads an encoding written by ``write(to:)``; nil when the bytes do not hold one.
    public static func read(from r: inout ByteReader) -> ConfState? {
        var lists: [[NodeID]] = []
        for _ in 0..<4 {
            guard let n = r.readUInt32(), n < 1 << 16 else { return nil }
            var ids: [NodeID] = []
            for _ in 0..<n {
                guard let id = r.readUInt64() else { return nil }
                ids.append(id)
            }
            lists.append(ids)
        }
        guard let autoLeave = r.readBool() else { return nil }
        return ConfState(voters: lists[0], votersOutgoing: lists[1], learners: lists[2], learnersNext: lists[3], autoLeave: autoLeave)
    }
}

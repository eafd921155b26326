/// A node's view of the log: a snapshot base, the entries after it, and the marks that
/// say how much of it is committed, applied and durable.
///
/// Invariants:
/// - entries are contiguous: `entries[k].index == snapshot.metadata.index + 1 + k`;
/// - `applied <= committed <= lastIndex` (once a pending snapshot is installed);
/// - entries with `index > stable` are not yet durable and are handed out in ``Ready/entries``;
/// - `committed` never decreases.
public struct RaftLog: Sendable {
    /// The latest snapshot; its metadata is the base of `entries`.
    public private(set) var snapshot: Snapshot
    /// The entries after the snapshot.
    public private(set) var entries: [Entry] = []
    /// The highest index known committed.
    public private(set) var committed: UInt64
    /// The highest index the application has acknowledged as applied.
    public internal(set) var applied: UInt64
    /// The highest index known durable on this node's disk.
    public private(set) var stable: UInt64
    /// Whether `snapshot` still has to be saved and installed by the application.
    public private(set) var snapshotPending = false
    /// Set when a leader overwrote a committed entry, which only an injected defect can cause.
    public internal(set) var committedTruncated = false

    /// Creates a log from what was persisted: a snapshot, the entries after it, and the commit index.
    public init(snapshot: Snapshot, entries: [Entry], committed: UInt64) {
        self.snapshot = snapshot
        let base = snapshot.metadata.index
        self.entries = entries.filter { $0.index > base }
        for (k, e) in self.entries.enumerated() {
            precondition(e.index == base + 1 + UInt64(k), "restored entries are not contiguous")
        }
        let last = base + UInt64(self.entries.count)
        self.committed = max(base, min(committed, last))
        self.applied = base
        self.stable = last
    }

    /// The index of the snapshot base.
    @inlinable public var snapshotIndex: UInt64 { snapshot.metadata.index }
    /// The first index held as an entry.
    @inlinable public var firstIndex: UInt64 { snapshot.metadata.index + 1 }
    /// The index of the last entry (or the snapshot base if there is none).
    @inlinable public var lastIndex: UInt64 { snapshot.metadata.index + UInt64(entries.count) }
    /// The term of the last entry.
    public var lastTerm: UInt64 { entries.last?.term ?? snapshot.metadata.term }

    /// The term of the entry at `index`; nil if compacted away or beyond the end.
    @inlinable public func term(_ index: UInt64) -> UInt64? {
        let base = snapshot.metadata.index
        if index == base { return snapshot.metadata.term }
        if index < base || index > base + UInt64(entries.count) { return nil }
        return entries[Int(index - base - 1)].term
    }

    /// Whether the entry at `index` has term `term`.
    @inlinable public func matchTerm(_ index: UInt64, _ term: UInt64) -> Bool {
        self.term(index) == term
    }

    /// The entry at `index`, if held.
    public func entry(_ index: UInt64) -> Entry? {
        guard index >= firstIndex && index <= lastIndex else { return nil }
        return entries[Int(index - firstIndex)]
    }

    /// Whether a log ending at (`index`, `term`) is at least as up to date as this one (§3.6.1).
    public func isUpToDate(index: UInt64, term: UInt64) -> Bool {
        term > lastTerm || (term == lastTerm && index >= lastIndex)
    }

    /// The entries in `lo...hi`, at most `maxCount` and about `maxBytes` (always at least one).
    public func slice(from lo: UInt64, through hi: UInt64, maxCount: Int, maxBytes: Int) -> [Entry] {
        guard lo <= hi, lo >= firstIndex, hi <= lastIndex else { return [] }
        let start = Int(lo - firstIndex)
        var end = Int(hi - firstIndex)
        end = min(end, start + maxCount - 1)
        var bytes = 0
        var k = start
        while k <= end {
            bytes += entries[k].byteSize
            if bytes > maxBytes && k > start { break }
            k += 1
        }
        return Array(entries[start..<k])
    }

    /// The largest index `<= index` whose term is `<= term`, and that term; used by fast
    /// backtracking to skip a whole term of conflicting entries per round trip.
    public func findConflictByTerm(index: UInt64, term: UInt64) -> (index: UInt64, term: UInt64) {
        var i = min(index, lastIndex)
        while true {
            guard let t = self.term(i) else { return (i, 0) }
            if t <= term { return (i, t) }
            if i == 0 { return (0, 0) }
            i -= 1
        }
    }

    /// Appends what a leader sent after (`prevIndex`, `prevTerm`) if the logs match there,
    /// truncating a conflicting suffix; returns the last index now known to match the leader,
    /// or nil if the logs do not match at `prevIndex`.
    public mutating func maybeAppend(prevIndex: UInt64, prevTerm: UInt64, entries new: [Entry]) -> UInt64? {
        guard matchTerm(prevIndex, prevTerm) else { return nil }
        let lastNew = prevIndex + UInt64(new.count)
        // Find the first new entry that is not already in the log.
        var k = 0
        while k < new.count {
            let e = new[k]
            if e.index <= snapshot.metadata.index {
                k += 1
                continue
            }
            guard let t = term(e.index), t == e.term else { break }
            k += 1
        }
        if k < new.count {
            truncateAndAppend(new[k...])
        }
        return lastNew
    }

    /// Appends entries, truncating any existing entries at or after the first one's index.
    public mutating func truncateAndAppend<C: Collection>(_ new: C) where C.Element == Entry {
        guard let first = new.first else { return }
        if first.index <= committed {
            // Only reachable with an injected defect: the caller reports it as a safety fault.
            committed = first.index - 1
            committedTruncated = true
        }
        precondition(first.index <= lastIndex + 1, "gap in log: appending \(first.index) after \(lastIndex)")
        let keep = Int(first.index - firstIndex)
        if keep < entries.count { entries.removeSubrange(keep...) }
        entries.append(contentsOf: new)
        if stable >= first.index { stable = first.index - 1 }
    }

    /// Raises the commit index; it never decreases.
    public mutating func commitTo(_ index: UInt64) {
        if index > committed {
            precondition(index <= lastIndex, "commit \(index) beyond last index \(lastIndex)")
            committed = index
        }
    }

    /// Entries not yet durable.
    public var unstableEntries: [Entry] {
        stable >= lastIndex ? [] : Array(entries[Int(stable + 1 - firstIndex)...])
    }

    /// Records that entries through `index` with term `term` are durable; ignored if the log
    /// changed there since (a truncation between ready and acknowledgement).
    public mutating func stableTo(index: UInt64, term: UInt64) {
        if index > stable && matchTerm(index, term) { stable = index }
    }

    /// Records that the snapshot at `index` is durable and installed. If a newer snapshot
    /// arrived since it was handed out, that one stays pending.
    public mutating func snapshotStable(index: UInt64) {
        if snapshot.metadata.index == index { snapshotPending = false }
        applied = max(applied, index)
    }

    /// The committed entries not applied yet, at most `maxCount` (with the apply-before-commit
    /// defect: up to the last entry).
    public func nextToApply(maxCount: Int, upTo limit: UInt64) -> [Entry] {
        if snapshotPending { return [] }
        let lo = applied + 1
        guard limit >= lo else { return [] }
        let hi = min(limit, lo + UInt64(maxCount) - 1)
        return slice(from: lo, through: hi, maxCount: maxCount, maxBytes: Int.max)
    }

    /// Replaces the whole log by a snapshot received from the leader (§5.3).
    public mutating func restore(_ snap: Snapshot) {
        snapshot = snap
        entries = []
        committed = snap.metadata.index
        stable = snap.metadata.index
        snapshotPending = true
    }

    /// Discards entries up to and including `index`, which `snap` now covers (§5.1).
    public mutating func compact(_ snap: Snapshot) {
        let index = snap.metadata.index
        precondition(index <= applied && index <= stable, "compacting beyond applied or durable entries")
        guard index > snapshot.metadata.index else { return }
        precondition(term(index) == snap.metadata.term, "snapshot term does not match the log")
        entries.removeFirst(Int(index - snapshot.metadata.index))
        snapshot = snap
    }
}

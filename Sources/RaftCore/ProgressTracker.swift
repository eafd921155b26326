/// The leader's progress of every member, kept in member-id order for deterministic iteration.
///
/// Invariant: exactly one ``Progress`` per member of the current ``ConfState`` (voters of
/// both halves, learners and next learners), sorted by id.
public struct ProgressTracker: Sendable, Equatable {
    /// Every member's progress, sorted by id.
    public private(set) var members: [Progress] = []
    let inflightCapacity: Int
    let inflightBytes: Int

    /// Creates progress for every member of `conf`, all starting at `next`.
    public init(conf: ConfState, next: UInt64, inflightCapacity: Int, inflightBytes: Int) {
        self.inflightCapacity = inflightCapacity
        self.inflightBytes = inflightBytes
        for id in conf.allMembers {
            members.append(Progress(id: id, next: next, inflightCapacity: inflightCapacity, inflightBytes: inflightBytes))
        }
    }

    @inline(__always) func position(_ id: NodeID) -> Int? {
        for i in members.indices where members[i].id == id { return i }
        return nil
    }

    /// The progress of `id`, if it is a member.
    public subscript(id: NodeID) -> Progress? {
        get { position(id).map { members[$0] } }
        set {
            guard let newValue else {
                if let i = position(id) { members.remove(at: i) }
                return
            }
            if let i = position(id) { members[i] = newValue } else { preconditionFailure("unknown member \(id)") }
        }
    }

    /// Mutates the progress of `id` in place; returns nil if it is not a member.
    @discardableResult
    public mutating func update<R>(_ id: NodeID, _ body: (inout Progress) -> R) -> R? {
        guard let i = position(id) else { return nil }
        return body(&members[i])
    }

    /// Mutates every member's progress in id order.
    public mutating func forEach(_ body: (inout Progress) -> Void) {
        for i in members.indices { body(&members[i]) }
    }

    /// Adjusts membership to `conf`: new members start at `next`, removed ones are dropped,
    /// existing ones keep their progress.
    public mutating func reconfigure(_ conf: ConfState, next: UInt64) {
        let ids = conf.allMembers
        var out: [Progress] = []
        out.reserveCapacity(ids.count)
        for id in ids {
            if let p = self[id] { out.append(p) } else {
                out.append(Progress(id: id, next: next, inflightCapacity: inflightCapacity, inflightBytes: inflightBytes))
            }
        }
        members = out
    }

    /// The index committed by `conf`'s quorum according to the matches recorded here.
    public func committedIndex(_ conf: ConfState) -> UInt64 {
        conf.quorum.committedIndex { id in self[id]?.match }
    }

    /// Whether a quorum of `conf` was heard from within the last `ticks` leader ticks
    /// (check-quorum, §6.2/§9.6).
    public func quorumActive(_ conf: ConfState, selfID: NodeID, within ticks: Int) -> Bool {
        conf.quorum.voteResult { id in id == selfID ? true : (self[id].map { $0.ticksSinceHeard < ticks } ?? false) } == .won
    }
}

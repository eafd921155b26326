/// The leader's view of one member's log (§3.5, etcd's progress states).
///
/// States:
/// - `probe`: the leader does not know where the follower's log matches; it sends at
///   most one append per heartbeat interval and backs `next` off on rejection.
/// - `replicate`: the follower is known to match up to `match`; the leader streams
///   appends optimistically, bounded by ``Inflights``.
/// - `snapshot(pending:)`: the follower needs the snapshot at `pending`; appends pause
///   until it is acknowledged or reported failed.
///
/// Invariants: `match < next`; in `replicate`, every in-flight index is `< next`;
/// `match` never decreases while the leader stays leader.
public struct Progress: Sendable, Equatable {
    /// The replication state of the follower.
    public enum State: Sendable, Equatable {
        /// Finding the point where the logs match.
        case probe
        /// Streaming entries.
        case replicate
        /// Waiting for the snapshot whose index is given to be installed.
        case snapshot(pending: UInt64)
    }

    /// The member this progress describes.
    public let id: NodeID
    /// The highest index known to be replicated on the member.
    public var match: UInt64 = 0
    /// The next index to send.
    public var next: UInt64
    /// The replication state.
    public var state: State = .probe
    /// In `probe`, whether a probe is outstanding (no further append until a response or heartbeat).
    public var probeSent = false
    /// Whether the member was heard from since the last round of an election timeout (a snapshot
    /// is sent only to a member heard from recently).
    public var recentActive = false
    /// Leader ticks since the member was last heard from: check-quorum steps the leader down as
    /// soon as a quorum has not been heard from for an election timeout.
    public var ticksSinceHeard = 0
    /// Ticks spent in the snapshot state, to retry a snapshot whose message was lost.
    public var snapshotTicks = 0
    /// The in-flight window (used in `replicate`).
    public var inflights: Inflights

    /// Creates the progress of a member whose log the leader knows nothing about yet.
    public init(id: NodeID, next: UInt64, inflightCapacity: Int, inflightBytes: Int) {
        self.id = id
        self.next = next
        self.inflights = Inflights(capacity: inflightCapacity, maxBytes: inflightBytes)
    }

    /// Whether the leader must not send an append now.
    public var isPaused: Bool {
        switch state {
        case .probe: return probeSent
        case .replicate: return inflights.isFull
        case .snapshot: return true
        }
    }

    /// Moves to `probe`, restarting right after what is known to match.
    public mutating func becomeProbe() {
        if case .snapshot(let pending) = state {
            next = max(match + 1, pending + 1)
        } else {
            next = match + 1
        }
        state = .probe
        probeSent = false
        snapshotTicks = 0
        inflights.reset()
    }

    /// Moves to `replicate`, streaming from right after `match`.
    public mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        probeSent = false
        snapshotTicks = 0
        inflights.reset()
    }

    /// Moves to `snapshot`, waiting for the snapshot at `index`.
    public mutating func becomeSnapshot(_ index: UInt64) {
        state = .snapshot(pending: index)
        probeSent = false
        snapshotTicks = 0
        inflights.reset()
    }

    /// Records an acknowledgement up to `index`; returns whether `match` advanced.
    public mutating func maybeUpdate(_ index: UInt64) -> Bool {
        var updated = false
        if match < index {
            match = index
            updated = true
            probeSent = false
        }
        next = max(next, index + 1)
        return updated
    }

    /// Records that entries up to `last` (of `bytes` bytes) were sent in one message.
    public mutating func sentEntries(last: UInt64?, bytes: Int) {
        switch state {
        case .replicate:
            if let last {
                next = last + 1
                inflights.add(index: last, bytes: bytes)
            }
        case .probe:
            probeSent = true
        case .snapshot:
            preconditionFailure("sending entries to a follower waiting for a snapshot")
        }
    }

    /// Handles a rejection of the append whose previous index was `rejected`, with the
    /// follower's hint that its log may match at `matchHint`. Returns false when the
    /// rejection is stale (out of order or duplicate) and must be ignored.
    public mutating func maybeDecrTo(rejected: UInt64, matchHint: UInt64) -> Bool {
        if case .replicate = state {
            // A rejection of an index already matched is stale.
            if rejected <= match { return false }
            next = match + 1
            return true
        }
        // In probe the rejection must be of the last probe sent (next - 1).
        if next == 0 || next - 1 != rejected { return false }
        next = max(min(rejected, matchHint + 1), match + 1)
        probeSent = false
        return true
    }
}

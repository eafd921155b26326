/// What a node reads back from stable storage when it starts.
public struct PersistentState: Sendable, Equatable {
    /// The last persisted hard state.
    public var hardState: HardState
    /// The last persisted snapshot (the bootstrap snapshot if none was taken yet).
    public var snapshot: Snapshot
    /// The persisted entries after the snapshot.
    public var entries: [Entry]

    /// Creates a persistent state.
    public init(hardState: HardState, snapshot: Snapshot, entries: [Entry]) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
    }

    /// The state of a founding member of a new group whose voters are `voters`: a snapshot at
    /// index 1, term 1 holding the membership and an empty state machine.
    ///
    /// - Important: Persist it before starting the node, on every founding member alike.
    public static func bootstrap(voters: [NodeID]) -> PersistentState {
        let meta = Snapshot.Metadata(index: 1, term: 1, confState: ConfState(voters: voters))
        return PersistentState(
            hardState: HardState(term: 1, vote: nil, commit: 1),
            snapshot: Snapshot(metadata: meta, data: []), entries: [])
    }

    /// The state of a node that joins an existing group: it learns everything, membership
    /// included, from the leader's snapshot.
    public static let joining = PersistentState(
        hardState: HardState(),
        snapshot: Snapshot(metadata: Snapshot.Metadata(index: 0, term: 0, confState: ConfState()), data: []),
        entries: [])
}

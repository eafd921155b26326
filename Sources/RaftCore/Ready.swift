/// A batch of work the caller performs, then acknowledges with ``RawNode/advance(_:)``.
///
/// - Important: Perform it in this order:
///   1. send ``messages`` (they may leave at once, even before anything is written);
///   2. write ``snapshot``, ``entries`` (replacing any stored entries from the first one's
///      index on) and ``hardState`` to stable storage, fsync'd if ``mustSync``;
///   3. only then send ``messagesAfterPersist`` (votes and append acknowledgements; a driver may
///      drop those of a term the node has left since, which costs a retry at most);
///   4. install ``snapshot`` into the state machine, then apply ``committedEntries`` in order;
///   5. serve ``readStates`` once the state machine has applied their index;
///   6. call ``RawNode/advance(_:)`` with this value before asking for the next batch.
public struct Ready: Sendable {
    /// The hard state to persist, if it changed.
    public var hardState: HardState?
    /// Entries to append to stable storage.
    public var entries: [Entry] = []
    /// A snapshot received from the leader, to persist and install.
    public var snapshot: Snapshot?
    /// Committed entries to apply, in order.
    public var committedEntries: [Entry] = []
    /// Messages that may be sent immediately.
    public var messages: [Message] = []
    /// Messages that may only be sent after step 2 is durable.
    public var messagesAfterPersist: [Message] = []
    /// Read-index results.
    public var readStates: [ReadState] = []
    /// Whether step 2 needs an fsync (term, vote or entries changed; a commit-only change does not).
    public var mustSync: Bool = false

    /// Creates an empty batch.
    public init() {}

    /// Whether there is nothing to do.
    public var isEmpty: Bool {
        hardState == nil && entries.isEmpty && snapshot == nil && committedEntries.isEmpty && messages.isEmpty
            && messagesAfterPersist.isEmpty && readStates.isEmpty
    }
}

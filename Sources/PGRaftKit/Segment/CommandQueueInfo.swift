/// A point-in-time view of the command queue, for status pages and metrics. The words are read one by
/// one, so under concurrent use they are individually exact, not a joint snapshot.
public struct CommandQueueInfo: Sendable, Equatable {
    /// Entries the ring holds.
    public var capacity: Int
    /// Commands waiting (published, not yet dequeued).
    public var depth: Int
    /// Commands published since the segment was created.
    public var enqueued: UInt64
    /// Commands dequeued since the segment was created.
    public var dequeued: UInt64
    /// The id the next command will get.
    public var nextId: UInt64
    /// The pid holding the queue's mutex now (0 when free; a dead pid until the next lock when its
    /// holder was killed).
    public var lockHolderPid: Int32
    /// How many times a producer took over the mutex from a process that died holding it.
    public var lockRecoveries: UInt64
    /// The last process that dequeued (0 when none yet).
    public var consumerPid: Int32
}

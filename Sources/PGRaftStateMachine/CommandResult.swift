import RaftCore

/// The outcome of applying one log entry to the ``ReplicatedStateMachine``; identical on every member.
public enum CommandResult: Sendable, Equatable {
    /// A put succeeded; the key's new modification revision.
    case put(revision: UInt64)
    /// A delete; the new revision if the key existed, nil if it did not (nothing changed).
    case deleted(revision: UInt64?)
    /// A compare-and-set: whether it matched, and the key's modification revision afterwards (0: absent).
    case compareAndSet(succeeded: Bool, revision: UInt64)
    /// A command-log append; the record's sequence number (from 1).
    case appended(sequence: UInt64)
    /// A command-log trim; the records up to and including `through` are gone (after this trim or
    /// an earlier one).
    case logTrimmed(through: UInt64)
    /// A membership change or address update was applied (or refused identically everywhere).
    case membership
    /// A no-op (the leader's, or a client's fence).
    case none
    /// The entry was not a valid command; nothing changed.
    case invalid
}

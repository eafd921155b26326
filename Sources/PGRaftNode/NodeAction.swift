import PGRaftStateMachine
import RaftCore
import PGRaftClient

/// What the caller must do, in the order given; ``NodeMachine/handle(_:now:)`` returns them.
public enum NodeAction: Sendable {
    /// Send a Raft message to `message.to` (dropping it when the peer is unreachable is fine:
    /// Raft resends what matters).
    case send(Message)
    /// Read what storage holds and answer with ``NodeEvent/loaded(_:)``.
    case load
    /// Make the batch durable, in its order (snapshot, entries, hard state) with one fsync, and
    /// answer with ``NodeEvent/persisted(batch:)``. Sent again, identical, after a storage restart.
    case persist(PersistBatch)
    /// Encode `image` (may take long: off the event loop in production) and answer with
    /// ``NodeEvent/snapshotEncoded(_:)`` holding it at `index` in `term`.
    case encodeSnapshot(index: UInt64, term: UInt64, image: ReplicatedStateMachine)
    /// Save the snapshot and compact the log behind it, then answer with ``NodeEvent/compacted(index:failure:)``.
    case compact(Snapshot)
    /// Answer a client.
    case reply(NodeReply)
    /// An entry was applied to the state machine, with its result (for counters and checkers).
    case applied(Entry, CommandResult)
    /// This node applied a membership change that leaves it out: it has no part in the cluster
    /// any more (pgraft-consensus publishes it as a non-member until the operator stops it).
    case leftCluster
    /// Show the node's state (to operators, the api, the bridge).
    case publish(RaftStatus)
    /// The transport should keep these members connected.
    case announceMembers([NodeAddress])
    /// Count something in the node's counters.
    case count(NodeCounter)
    /// Log a line.
    case log(NodeLogRecord)
    /// The node cannot go on from this state (a snapshot that does not decode, say): stop, and
    /// start again from what storage holds.
    case fail(String)
}

/// One batch to persist.
public struct PersistBatch: Sendable, Equatable {
    /// Names the batch in ``NodeEvent/persisted(batch:)``.
    public var id: UInt64
    /// A snapshot received from the leader: replaces the log up to its index.
    public var snapshot: Snapshot?
    /// Entries to append, replacing any stored from the first one's index on.
    public var entries: [Entry]
    /// The hard state to overwrite (only when term, vote, or a committed membership change
    /// must survive a restart).
    public var hardState: HardState?

    /// Whether there is nothing to write.
    public var isEmpty: Bool { snapshot == nil && entries.isEmpty && hardState == nil }
}

/// The answer to one client request.
public struct NodeReply: Sendable, Equatable {
    /// The request.
    public var id: RequestID
    /// How it ended.
    public var status: ClientStatus
    /// The answer.
    public var result: ClientResult
    /// Whether this answers a proposal of this node that was just applied: the time since the
    /// request is its commit latency.
    public var isCommit: Bool
}

/// The counters the machine moves.
public enum NodeCounter: Sendable, Equatable {
    /// A proposal of this node entered the log.
    case proposals
    /// A snapshot from the leader was installed.
    case snapshotsReceived
    /// An election began here.
    case elections
    /// The leader this node knows changed.
    case leaderChanges
}

/// How bad a logged line is.
public enum NodeLogLevel: Sendable, Equatable {
    /// Detail for debugging.
    case debug
    /// Normal operation.
    case info
    /// Something an operator may want to look at.
    case warning
}

/// A line to log: the message and its key-value metadata.
public struct NodeLogRecord: Sendable, Equatable {
    /// How bad it is.
    public var level: NodeLogLevel
    /// The sentence.
    public var message: String
    /// Key-value detail, in order.
    public var metadata: [Detail]

    /// A key and its value.
    public struct Detail: Sendable, Equatable {
        /// The key.
        public var key: String
        /// The value.
        public var value: String
    }
}

/// What the node shows outside: role, leader, log positions and members.
public struct RaftStatus: Sendable, Equatable {
    /// The node's role as operators see it.
    public enum Role: Sendable, Equatable {
        case leader, follower, learner, candidate, preCandidate
        /// Out of the membership: its applied configuration leaves it out, or most of the
        /// members it dials refuse it.
        case nonMember
    }

    /// One member as this node knows it.
    public struct Member: Sendable, Equatable {
        /// The member.
        public var id: NodeID
        /// Its peer address ("" when unknown).
        public var address: String
        /// Whether it is a learner (else a voter).
        public var isLearner: Bool
        /// The highest index known replicated to it (the leader knows; others show 0), or this
        /// node's own durable index.
        public var matchIndex: UInt64
        /// The next index the leader will send it.
        public var nextIndex: UInt64
    }

    /// The current term.
    public var term: UInt64
    /// The leader this node knows (0: none).
    public var leader: NodeID
    /// This node's role.
    public var role: Role
    /// The commit index.
    public var commitIndex: UInt64
    /// The state machine's applied index.
    public var appliedIndex: UInt64
    /// The last index in the log.
    public var lastIndex: UInt64
    /// The index the latest snapshot covers.
    public var snapshotIndex: UInt64
    /// Every member, voters and learners.
    public var members: [Member]
}

/// Something the bridge core learns; feed each to ``BridgeCore/handle(_:now:)``.
public enum BridgeEvent: Sendable, Equatable {
    /// The node's view of the cluster changed (or is shown again).
    case cluster(ClusterView)
    /// What the local server looks like now.
    case server(ServerObservation)
    /// The operation asked by ``BridgeAction/perform(_:)`` ended: nil when it succeeded, else why not.
    case performed(BridgeOperation, failure: String?)
    /// The write asked by ``BridgeAction/write(_:)`` ended: nil when it is committed (at the
    /// key-value `revision`, 0 when not known), else why not (refused because the record changed,
    /// no leader, timed out).
    case written(BridgeWrite, revision: UInt64 = 0, failure: String?)
    /// Time passed (the caller's clock is the `now` of ``BridgeCore/handle(_:now:)``).
    case tick
}

/// What the bridge core asks the shell to do.
public enum BridgeAction: Sendable, Equatable {
    /// Do this to the local server, and answer with ``BridgeEvent/performed(_:failure:)``. One at a time.
    case perform(BridgeOperation)
    /// Write this record through the replicated log, and answer with ``BridgeEvent/written(_:failure:)``.
    /// One at a time.
    case write(BridgeWrite)
    /// Ask consensus to hand leadership to this voter (its server is ahead, or this one cannot serve).
    case transferLeadership(to: UInt64)
    /// Show the bridge's state (to the api, the segment, operators).
    case publish(BridgeStatus)
    /// Log a line.
    case log(BridgeLogLevel, String)
}

/// An operation on the local server.
public enum BridgeOperation: Sendable, Equatable {
    /// Make a new cluster in the empty data directory.
    case initdb
    /// Make the data directory a copy of `from`'s server (pg_basebackup), set up as its standby.
    case baseBackup(from: UInt64)
    /// Rewind the data directory (stopped) to `from`'s server (pg_rewind), set up as its standby.
    case rewind(from: UInt64)
    /// Move the data directory aside (kept, renamed) and make a new one by base backup from `from`.
    case reclone(from: UInt64)
    /// Start the server: as a standby streaming from `upstream` (nil: from nobody yet) or as a primary.
    case start(standby: Bool, upstream: UInt64?)
    /// Stop the server (fast).
    case stop
    /// Point the running standby at `upstream` (nil: stream from nobody), by reload.
    case follow(upstream: UInt64?)
    /// Promote the running standby; done when it accepts writes.
    case promote
    /// Set `synchronous_standby_names` to this value, by reload.
    case setSynchronousStandbys(String)
    /// Keep a replication slot on this primary for each of these members, and no other.
    case keepSlots([UInt64])
    /// Mark the data directory as on this branch (``ServerObservation/branch``).
    case markBranch(UInt64)
}

/// A record written through the replicated log.
public enum BridgeWrite: Sendable, Equatable {
    /// This member's report.
    case report(MemberReport)
    /// A new topology record, written only if the stored one is still at `expectedRevision` (0: none).
    case topology(Topology, expectedRevision: UInt64)
}

/// How bad a logged line is.
public enum BridgeLogLevel: Sendable, Equatable {
    case debug, info, warning
}

/// What the bridge shows: the local server's part in the cluster.
public struct BridgeStatus: Sendable, Equatable {
    /// The server's role, as a load balancer and an operator read it.
    public enum Role: String, Sendable, Equatable {
        /// The writable primary: its node leads and the topology names it for this term.
        case primary
        /// A primary that acknowledges nothing (its node does not lead, or the topology does not
        /// name it for this term yet).
        case fencedPrimary = "fenced_primary"
        /// A standby streaming from the primary.
        case standby
        /// Being promoted.
        case promoting
        /// Not running.
        case stopped
        /// Being made: initdb, base backup, rewind.
        case preparing
        /// Refused: its data directory cannot be used (the message says why).
        case refused
    }

    /// The role.
    public var role: Role
    /// What the bridge is doing or waiting for, in words.
    public var detail: String
    /// The server's timeline (0: unknown).
    public var timeline: UInt32
    /// The WAL it holds.
    public var flushed: WALPosition
    /// On a standby, the WAL replayed.
    public var replayed: WALPosition
    /// On a standby, the member it streams from (0: none).
    public var streamingFrom: UInt64

    /// A status.
    public init(role: Role, detail: String, timeline: UInt32 = 0, flushed: WALPosition = .zero, replayed: WALPosition = .zero, streamingFrom: UInt64 = 0) {
        self.role = role
        self.detail = detail
        self.timeline = timeline
        self.flushed = flushed
        self.replayed = replayed
        self.streamingFrom = streamingFrom
    }
}

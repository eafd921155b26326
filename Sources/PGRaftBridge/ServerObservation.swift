/// What the bridge last saw of its node's PostgreSQL server: the data directory on disk and, when
/// the server runs, what it answers. The bridge core decides from it; `plugins/bridge` (and the
/// simulator) fill it in.
public struct ServerObservation: Sendable, Equatable {
    /// The data directory as found on disk.
    public enum DataDirectory: Sendable, Equatable {
        /// Absent or empty: a server must be made (initdb, or a base backup from the primary).
        case empty
        /// A PostgreSQL data directory (read from its control file).
        case initialized(ControlData)
        /// Something that is not a usable data directory (the message says what); nothing is done to it.
        case unusable(String)
    }

    /// What a data directory's control file says (`pg_controldata`).
    public struct ControlData: Sendable, Equatable {
        /// The database system identifier: every server made from one initdb shares it.
        public var systemIdentifier: UInt64
        /// The timeline of the latest checkpoint.
        public var timeline: UInt32
        /// Whether the server was last shut down cleanly (`shut down` or `shut down in recovery`).
        public var cleanShutdown: Bool
        /// Whether the directory is set up as a standby (`standby.signal` present).
        public var isStandby: Bool

        /// Control data with these values.
        public init(systemIdentifier: UInt64, timeline: UInt32, cleanShutdown: Bool, isStandby: Bool) {
            self.systemIdentifier = systemIdentifier
            self.timeline = timeline
            self.cleanShutdown = cleanShutdown
            self.isStandby = isStandby
        }
    }

    /// What a running server answers.
    public struct Running: Sendable, Equatable {
        /// The postmaster's process id (a changed pid is another server life).
        public var postmasterPID: Int32
        /// `pg_is_in_recovery()`: a standby (or a primary still being promoted).
        public var inRecovery: Bool
        /// The timeline the server writes (a primary) or replays (a standby).
        public var timeline: UInt32
        /// On a primary, the WAL flushed to its disk; on a standby, the WAL received and flushed
        /// from its upstream (else what it replayed): what a promotion would keep.
        public var flushed: WALPosition
        /// On a standby, the WAL replayed.
        public var replayed: WALPosition
        /// On a standby, the node its WAL receiver streams from (nil: not streaming).
        public var streamingFrom: UInt64?
        /// On a primary, the standbys connected to it.
        public var standbys: [ConnectedStandby]
        /// The `synchronous_standby_names` in force.
        public var synchronousStandbyNames: String
        /// On a standby, whether recovery waits for more WAL: everything its disk holds is replayed,
        /// so ``flushed`` counts all of it. A standby that has just started reports only what it
        /// replayed so far, and a position reported then could understate what it holds.
        public var walExhausted: Bool

        /// Running-server observations with these values.
        public init(
            postmasterPID: Int32, inRecovery: Bool, timeline: UInt32, flushed: WALPosition, replayed: WALPosition = .zero,
            streamingFrom: UInt64? = nil, standbys: [ConnectedStandby] = [], synchronousStandbyNames: String = "", walExhausted: Bool = true
        ) {
            self.walExhausted = walExhausted
            self.postmasterPID = postmasterPID
            self.inRecovery = inRecovery
            self.timeline = timeline
            self.flushed = flushed
            self.replayed = replayed
            self.streamingFrom = streamingFrom
            self.standbys = standbys
            self.synchronousStandbyNames = synchronousStandbyNames
        }
    }

    /// A standby connected to a primary (`pg_stat_replication`).
    public struct ConnectedStandby: Sendable, Equatable {
        /// The member it belongs to (from its `application_name`).
        public var node: UInt64
        /// Whether it is streaming (not still catching up from the start).
        public var streaming: Bool
        /// The WAL it reported flushed.
        public var flushed: WALPosition

        /// A connected standby.
        public init(node: UInt64, streaming: Bool, flushed: WALPosition) {
            self.node = node
            self.streaming = streaming
            self.flushed = flushed
        }
    }

    /// The data directory.
    public var dataDirectory: DataDirectory
    /// The branch pgraft last marked the data directory with (`pgraft.branch` in it; 0: none): the
    /// term of the promotion that began the history its WAL is a prefix of. A base backup or a
    /// rewind copies it with the rest.
    public var branch: UInt64
    /// The running server, nil when none answers.
    public var running: Running?

    /// An observation.
    public init(dataDirectory: DataDirectory, branch: UInt64 = 0, running: Running? = nil) {
        self.dataDirectory = dataDirectory
        self.branch = branch
        self.running = running
    }
}

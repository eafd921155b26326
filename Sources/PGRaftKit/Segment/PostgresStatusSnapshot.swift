import PGRaftBridge

/// The local PostgreSQL server as the bridge last published it in the segment: what the api's health
/// routes (`/primary`, `/replica`, `/read-only`), `/v1/postgres` and `/metrics` answer from, without
/// asking PostgreSQL anything.
///
/// Writer: the bridge (`SharedSegment.publishPostgresStatus(_:atMonotonicMs:)`); readers: everyone
/// (`SharedSegment.readPostgresStatus()`, nil before the bridge's first publication).
///
/// A record says nothing about *now* unless it is fresh: the bridge publishes at least once every
/// `health_period_ms`, so a record older than ``staleAfterPeriods`` periods means the bridge is dead
/// or stuck, and readers must not vouch for the server (``isStale(nowMs:healthPeriodMs:)``).
public struct PostgresStatusSnapshot: Sendable, Equatable {
    /// The server's role, as the bridge decided it.
    public var role: BridgeStatus.Role
    /// Whether the server is the cluster's writable primary: out of recovery, and not fenced by the
    /// bridge. The bridge sets it only with ``role`` `.primary`; readers require both, so a record
    /// that says one without the other vouches for nothing.
    public var writable: Bool
    /// The server's timeline (0: unknown).
    public var timeline: UInt32
    /// The WAL the server holds (flushed to its disk).
    public var flushed: WALPosition
    /// On a standby, the WAL replayed; on a primary, the same as ``flushed``.
    public var replayed: WALPosition
    /// On a standby, the node whose server it streams from (0: none, it does not stream).
    public var streamingFrom: UInt64
    /// The postmaster's pid (0: not running, or not known).
    public var postmasterPid: Int32
    /// What the bridge is doing or waiting for, in words; at most ``detailCapacity`` UTF-8 bytes are
    /// kept (a longer one is cut on a character boundary and ends with "…").
    public var detail: String
    /// How many times the bridge has published, this one included (counting on across bridge
    /// restarts). Set by the publication; ignored on input.
    public var publication: UInt64
    /// When it was published, by the monotonic clock (`CLOCK_MONOTONIC` in ms, as
    /// `pgr_monotonic_ms()`), which every process of the host shares. Set by the publication.
    public var publishedAtMs: UInt64

    /// The most UTF-8 bytes of ``detail`` the segment keeps.
    public static let detailCapacity = SegmentSection.PostgresRecord.detailCapacity

    /// A record older than this many `health_period_ms` is stale: the bridge, which publishes at
    /// least once a period, has missed this many publications.
    public static let staleAfterPeriods: UInt64 = 4

    /// A status (what the bridge publishes; the publication fields are filled in by the segment).
    public init(
        role: BridgeStatus.Role, writable: Bool = false, timeline: UInt32 = 0, flushed: WALPosition = .zero,
        replayed: WALPosition = .zero, streamingFrom: UInt64 = 0, postmasterPid: Int32 = 0, detail: String = "",
        publication: UInt64 = 0, publishedAtMs: UInt64 = 0
    ) {
        self.role = role
        self.writable = writable
        self.timeline = timeline
        self.flushed = flushed
        self.replayed = replayed
        self.streamingFrom = streamingFrom
        self.postmasterPid = postmasterPid
        self.detail = detail
        self.publication = publication
        self.publishedAtMs = publishedAtMs
    }

    /// The status the bridge core shows (``BridgeAction/publish(_:)``), with what only the shell
    /// knows: whether the server accepts writes and its postmaster's pid.
    public init(_ status: BridgeStatus, writable: Bool, postmasterPid: Int32) {
        self.init(
            role: status.role, writable: writable, timeline: status.timeline, flushed: status.flushed, replayed: status.replayed,
            streamingFrom: status.streamingFrom, postmasterPid: postmasterPid, detail: status.detail)
    }

    /// Milliseconds since the publication at monotonic time `nowMs` (0 if `nowMs` is earlier).
    public func ageMs(nowMs: UInt64) -> UInt64 {
        nowMs > publishedAtMs ? nowMs - publishedAtMs : 0
    }

    /// Whether the record is too old to vouch for the server at monotonic time `nowMs`: older than
    /// ``staleAfterPeriods`` × `healthPeriodMs`.
    public func isStale(nowMs: UInt64, healthPeriodMs: Int) -> Bool {
        ageMs(nowMs: nowMs) > Self.staleAfterPeriods * UInt64(max(1, healthPeriodMs))
    }

    /// Whether the server is the writable primary by this record: role `.primary` and writable.
    public var isWritablePrimary: Bool { role == .primary && writable }

    /// Whether the server is a standby streaming from another member's server.
    public var isStreamingStandby: Bool { role == .standby && streamingFrom != 0 }
}

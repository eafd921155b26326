import PGRaftBridge
import PGRaftKit

/// The local PostgreSQL server as `GET /v1/postgres` shows it (and `/v1/cluster` as `local_postgres`):
/// the bridge's last published status from the segment, with whether it is still fresh.
public struct PostgresView: Codable, Sendable, Equatable {
    /// The role (`BridgeStatus.Role`'s raw value: "primary", "fenced_primary", "standby", …).
    public var role: String
    /// Whether the bridge holds the server as the writable primary.
    public var writable: Bool
    /// What the bridge is doing or waiting for.
    public var detail: String
    /// The timeline (0: unknown).
    public var timeline: UInt32
    /// The WAL flushed, as PostgreSQL writes it (`16/B374D848`).
    public var flushed: String
    /// The WAL replayed, as PostgreSQL writes it.
    public var replayed: String
    /// The member whose server this one streams from; nil when none.
    public var streamingFrom: UInt64?
    /// The postmaster's pid; nil when not running or not known.
    public var postmasterPid: Int32?
    /// Whether the record is too old to vouch for the server (the bridge stopped publishing).
    public var stale: Bool
    /// Milliseconds since the bridge published it.
    public var ageMs: UInt64
    /// The bridge's publication count.
    public var publication: UInt64

    enum CodingKeys: String, CodingKey {
        case role, writable, detail, timeline, flushed, replayed, stale, publication
        case streamingFrom = "streaming_from"
        case postmasterPid = "postmaster_pid"
        case ageMs = "age_ms"
    }

    /// The view of `status` at monotonic time `nowMs`, stale by `healthPeriodMs`.
    public init(_ status: PostgresStatusSnapshot, nowMs: UInt64, healthPeriodMs: Int) {
        role = status.role.rawValue
        writable = status.writable
        detail = status.detail
        timeline = status.timeline
        flushed = status.flushed.description
        replayed = status.replayed.description
        streamingFrom = status.streamingFrom == 0 ? nil : status.streamingFrom
        postmasterPid = status.postmasterPid == 0 ? nil : status.postmasterPid
        stale = status.isStale(nowMs: nowMs, healthPeriodMs: healthPeriodMs)
        ageMs = status.ageMs(nowMs: nowMs)
        publication = status.publication
    }

    /// Writes `streaming_from` and `postmaster_pid` as null when unknown, so every key is present.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(role, forKey: .role)
        try c.encode(writable, forKey: .writable)
        try c.encode(detail, forKey: .detail)
        try c.encode(timeline, forKey: .timeline)
        try c.encode(flushed, forKey: .flushed)
        try c.encode(replayed, forKey: .replayed)
        try c.encode(streamingFrom, forKey: .streamingFrom)
        try c.encode(postmasterPid, forKey: .postmasterPid)
        try c.encode(stale, forKey: .stale)
        try c.encode(ageMs, forKey: .ageMs)
        try c.encode(publication, forKey: .publication)
    }
}

/// A member's server as its bridge last recorded it (`MemberStatus`, key `pgraft/status/<id>`): the
/// `postgres` object of each member in `GET /v1/cluster`.
public struct MemberPostgresView: Codable, Sendable, Equatable {
    /// The role (`BridgeStatus.Role`'s raw value).
    public var role: String
    /// Where its server listens (`host:port`).
    public var address: String
    /// Its timeline (0: unknown).
    public var timeline: UInt32
    /// The WAL it holds, as PostgreSQL writes it.
    public var flushed: String
    /// The WAL it replayed (a primary: its flushed position).
    public var replayed: String
    /// The member it streams from; nil when none.
    public var streamingFrom: UInt64?
    /// Bytes of WAL the recorded primary holds that it has not replayed (the primary's recorded
    /// flushed position minus its recorded replayed one); nil without a recorded primary position.
    public var lag: UInt64?
    /// When its bridge wrote the record, by that bridge's wall clock (ms since 1970).
    public var writtenAtMs: UInt64

    enum CodingKeys: String, CodingKey {
        case role, address, timeline, flushed, replayed, lag
        case streamingFrom = "streaming_from"
        case writtenAtMs = "written_at_ms"
    }

    /// The view of `status`, its lag measured from `primaryFlushed` (nil: unknown).
    public init(_ status: MemberStatus, primaryFlushed: WALPosition?) {
        role = status.role.rawValue
        address = status.address
        timeline = status.timeline
        flushed = status.flushed.description
        replayed = status.replayed.description
        streamingFrom = status.upstream == 0 ? nil : status.upstream
        lag = primaryFlushed.map { $0.bytes(after: status.replayed) }
        writtenAtMs = status.writtenAtMs
    }

    /// Writes `streaming_from` and `lag` as null when unknown.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(role, forKey: .role)
        try c.encode(address, forKey: .address)
        try c.encode(timeline, forKey: .timeline)
        try c.encode(flushed, forKey: .flushed)
        try c.encode(replayed, forKey: .replayed)
        try c.encode(streamingFrom, forKey: .streamingFrom)
        try c.encode(lag, forKey: .lag)
        try c.encode(writtenAtMs, forKey: .writtenAtMs)
    }
}

/// The recorded primary (`Topology`, key `pgraft/topology`), as `/v1/cluster` shows it.
public struct TopologyView: Codable, Sendable, Equatable {
    /// The node whose server is (or is being made) the primary.
    public var primary: UInt64
    /// The Raft term in which that node leads.
    public var term: UInt64
    /// The primary's timeline.
    public var timeline: UInt32

    /// The view of `topology`.
    public init(_ topology: Topology) {
        primary = topology.primary
        term = topology.term
        timeline = topology.timeline
    }
}

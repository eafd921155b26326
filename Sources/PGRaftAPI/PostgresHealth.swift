import PGRaftBridge
import PGRaftKit

/// The answer of a load balancer's health route (`/primary`, `/replica`, `/read-only`), decided from
/// the bridge's status in the segment, the node's Raft role and, for a `?lag=` limit, the primary's
/// recorded WAL position. Pure: the router gathers the inputs, this decides.
public struct PostgresHealth: Sendable, Equatable {
    /// The route asked.
    public enum Route: String, Sendable, CaseIterable {
        /// 200 only on the writable primary of the node that leads.
        case primary = "/primary"
        /// 200 only on a standby that streams (and, with `?lag=`, is close enough behind).
        case replica = "/replica"
        /// 200 on either.
        case readOnly = "/read-only"
    }

    /// Whether the route answers 200.
    public var healthy: Bool
    /// Why not, in words (nil when healthy).
    public var reason: String?
    /// The status the decision read (nil: none published).
    public var status: PostgresStatusSnapshot?
    /// Whether that status is stale.
    public var stale: Bool
    /// Replay lag in bytes: 0 on the writable primary; on a standby the recorded primary's flushed
    /// position minus this server's replayed one, when the records were read and hold it; else nil.
    public var lag: UInt64?

    /// The HTTP status: 200 or 503.
    public var httpStatus: Int { healthy ? 200 : 503 }

    /// Decides `route`.
    ///
    /// - Parameters:
    ///   - status: the bridge's last published status (nil: none yet).
    ///   - cluster: the segment's cluster state (nil: unreadable).
    ///   - nowMs: the monotonic clock now.
    ///   - healthPeriodMs: `health_period_ms`, which staleness is measured in.
    ///   - maxLag: the `?lag=` limit in bytes, if given (ignored by `/primary`).
    ///   - records: the bridges' records, when the router read them (it does only for a `?lag=`
    ///     limit on a standby); nil when not read.
    public static func evaluate(
        _ route: Route, status: PostgresStatusSnapshot?, cluster: ClusterStateSnapshot?, nowMs: UInt64, healthPeriodMs: Int,
        maxLag: UInt64? = nil, records: BridgeRecordsRead? = nil
    ) -> PostgresHealth {
        guard let status else {
            return PostgresHealth(
                healthy: false, reason: "the bridge has not published the PostgreSQL status yet (is it running?)", status: nil, stale: false, lag: nil)
        }
        var result = PostgresHealth(healthy: false, reason: nil, status: status, stale: false, lag: nil)
        if status.isStale(nowMs: nowMs, healthPeriodMs: healthPeriodMs) {
            result.stale = true
            let limit = PostgresStatusSnapshot.staleAfterPeriods * UInt64(max(1, healthPeriodMs))
            result.reason =
                "the bridge's PostgreSQL status is \(status.ageMs(nowMs: nowMs)) ms old, over \(limit) ms "
                + "(\(PostgresStatusSnapshot.staleAfterPeriods) × health_period_ms): the bridge is not running or is stuck"
            return result
        }
        let lag = Self.lag(of: status, records: records?.records)
        let primaryReason = Self.primaryReason(status, cluster: cluster)
        let replicaReason = Self.replicaReason(status, lag: lag, maxLag: maxLag, records: records)
        switch route {
        case .primary:
            result.reason = primaryReason
        case .replica:
            result.reason = replicaReason
        case .readOnly:
            if primaryReason != nil && replicaReason != nil {
                let primaryLike = status.role == .primary || status.role == .fencedPrimary
                result.reason = primaryLike ? primaryReason : replicaReason
            }
        }
        result.healthy = result.reason == nil
        result.lag = lag
        return result
    }

    /// The replay lag of the server `status` describes, in bytes: 0 on the writable primary; on a
    /// standby, the recorded primary's flushed position in `records` minus its replayed one; nil
    /// otherwise, or when `records` do not hold the primary's position.
    public static func lag(of status: PostgresStatusSnapshot, records: BridgeRecords?) -> UInt64? {
        if status.isWritablePrimary { return 0 }
        guard status.role == .standby else { return nil }
        return records?.primaryFlushed.map { $0.bytes(after: status.replayed) }
    }

    /// Why `status` is not the writable primary of the leading node; nil when it is.
    static func primaryReason(_ status: PostgresStatusSnapshot, cluster: ClusterStateSnapshot?) -> String? {
        guard status.isWritablePrimary else {
            let what = status.role == .primary ? "a primary the bridge does not hold writable" : describe(status.role)
            return "PostgreSQL here is \(what), not the writable primary" + detail(status)
        }
        guard let cluster else { return "the cluster state cannot be read, so this node cannot be shown to lead" }
        guard cluster.role == .leader else {
            let leader = cluster.leaderId == 0 ? "none known" : "node \(cluster.leaderId)"
            return "this node does not lead the Raft cluster (it is \(cluster.role.description); leader: \(leader))"
        }
        return nil
    }

    /// Why `status` is not a streaming standby within `maxLag`; nil when it is.
    static func replicaReason(_ status: PostgresStatusSnapshot, lag: UInt64?, maxLag: UInt64?, records: BridgeRecordsRead?) -> String? {
        guard status.role == .standby else { return "PostgreSQL here is \(describe(status.role)), not a standby" + detail(status) }
        guard status.streamingFrom != 0 else { return "the standby streams from no server" + detail(status) }
        guard let maxLag else { return nil }
        guard let lag else {
            let why: String
            switch records {
            case .read(let records)?: why = records.primaryUnknownReason ?? "the primary's position is unknown"
            case .unavailable(let reason)?: why = "the bridges' records cannot be read: \(reason)"
            case nil: why = "the bridges' records were not read"
            }
            return "the lag cannot be checked against ?lag=\(maxLag): \(why)"
        }
        guard lag <= maxLag else { return "the standby is \(lag) bytes behind the recorded primary, over ?lag=\(maxLag)" }
        return nil
    }

    /// A role in words for a sentence: "a standby", "a fenced primary", "stopped", …
    static func describe(_ role: BridgeStatus.Role) -> String {
        switch role {
        case .primary: return "the primary"
        case .fencedPrimary: return "a fenced primary (it acknowledges no commit)"
        case .standby: return "a standby"
        case .promoting: return "being promoted"
        case .stopped: return "stopped"
        case .preparing: return "being prepared (initdb, base backup or rewind)"
        case .refused: return "refused by the bridge"
        }
    }

    private static func detail(_ status: PostgresStatusSnapshot) -> String {
        status.detail.isEmpty ? "" : " (bridge: \(status.detail))"
    }

    /// The JSON body: `error` (when not healthy), `role`, `writable`, `timeline`, `streaming_from`,
    /// `lag`, `stale`; unknown values are null.
    public var body: [UInt8] {
        var json = JSONText()
        if let reason { json.string("error", reason) }
        if let status {
            json.string("role", status.role.rawValue)
            json.bool("writable", status.writable)
            json.number("timeline", UInt64(status.timeline))
            if status.streamingFrom == 0 { json.null("streaming_from") } else { json.number("streaming_from", status.streamingFrom) }
        } else {
            json.null("role")
            json.bool("writable", false)
            json.null("timeline")
            json.null("streaming_from")
        }
        if let lag { json.number("lag", lag) } else { json.null("lag") }
        json.bool("stale", stale)
        return json.finish()
    }

    /// Parses a `?lag=` limit: bytes, or a number with a unit as PostgreSQL writes sizes (`B`, `kB`,
    /// `MB`, `GB`, `TB`, powers of 1024), e.g. `16MB`.
    ///
    /// - Throws: `APIInputError` (400) naming the value.
    public static func parseLag(_ text: String) throws(APIInputError) -> UInt64 {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let units: [String: UInt64] = ["": 1, "B": 1, "kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40]
        guard !digits.isEmpty, let number = UInt64(digits), let unit = units[String(text.dropFirst(digits.count))] else {
            throw APIInputError("query parameter lag must be a number of bytes, or one with a unit (B, kB, MB, GB, TB) such as 16MB; not \"\(text)\"")
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: unit)
        guard !overflow else { throw APIInputError("query parameter lag is too large: \"\(text)\"") }
        return bytes
    }
}

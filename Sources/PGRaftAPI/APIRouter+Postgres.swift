import CShims
import NIOCore
import PGRaftBridge
import PGRaftClient
import PGRaftKit

/// The PostgreSQL routes: the load balancer's health checks, the local server's status, and the
/// bridges' records joined into `/v1/cluster`.
///
/// A load balancer polls the health routes often, so they answer from the segment alone, never from
/// PostgreSQL; only a `?lag=` limit on a standby adds one stale local key-value listing (the primary's
/// recorded position), bounded by ``bridgeRecordsTimeout``.
extension APIRouter {
    /// How long a listing of the bridges' records may take before the answer goes without them. A
    /// stale listing is served from consensus's memory: a slow one means consensus is in trouble.
    static let bridgeRecordsTimeout = TimeAmount.seconds(1)

    /// The monotonic clock now, in ms (the clock the bridge stamps its status with).
    static var monotonicNowMs: UInt64 { UInt64(max(0, pgr_monotonic_ms())) }

    /// A key of the bridges' own (the recorded primary, the members' reports and statuses): the api
    /// reads them but does not write them, so that no client can move the primary or forge a record.
    static func checkWritable(_ key: String) throws(APIInputError) {
        guard !key.hasPrefix(BridgeRecords.prefix) else {
            throw APIInputError(
                "keys under \(BridgeRecords.prefix) belong to the bridges (the recorded primary and the members' records): "
                    + "they can be read but not written or deleted through the api",
                status: 403)
        }
    }

    /// The bridges' records: one stale local listing of `pgraft/` through consensus.
    func bridgeRecords(on loop: EventLoop) -> EventLoopFuture<BridgeRecordsRead> {
        guard let consensus else { return loop.makeSucceededFuture(.unavailable("the api has no link to consensus")) }
        return consensus.submit(.list(prefix: BridgeRecords.prefix, linearizable: false), timeout: Self.bridgeRecordsTimeout)
            .hop(to: loop)
            .map { reply in
                guard reply.status == .ok else {
                    // The client's own sentence for a time-out speaks of writes; this is a read.
                    if reply.status == .timedOut {
                        return .unavailable("consensus did not answer the listing within \(Self.bridgeRecordsTimeout.nanoseconds / 1_000_000) ms")
                    }
                    if case .message(let text) = reply.result, !text.isEmpty { return .unavailable(text) }
                    return .unavailable("consensus answered the listing with status \(reply.status)")
                }
                guard case .records(let records, _) = reply.result else {
                    return .unavailable("consensus answered the listing with an unexpected result: \(reply.result)")
                }
                return .read(BridgeRecords(records: records))
            }
    }

    /// The bridge's last status from the segment (nil: none published yet).
    ///
    /// - Throws: `APIInputError` (503) when the segment's record cannot be read.
    func readPostgresStatus(_ segment: SharedSegment) throws(APIInputError) -> PostgresStatusSnapshot? {
        do {
            return try segment.readPostgresStatus()
        } catch {
            throw APIInputError("cannot read the PostgreSQL status: \(error)", status: 503)
        }
    }

    /// `GET /primary`, `/replica`, `/read-only`.
    func postgresHealth(_ route: PostgresHealth.Route, maxLag: UInt64?, on loop: EventLoop) throws(APIInputError)
        -> EventLoopFuture<APIResponse>
    {
        guard let segment else { return loop.makeSucceededFuture(noSegment()) }
        let status = try readPostgresStatus(segment)
        let cluster = try? segment.readClusterState()
        let healthPeriodMs = config.healthPeriodMs
        let decide: @Sendable (BridgeRecordsRead?) -> APIResponse = { records in
            let health = PostgresHealth.evaluate(
                route, status: status, cluster: cluster, nowMs: Self.monotonicNowMs, healthPeriodMs: healthPeriodMs, maxLag: maxLag, records: records)
            var response = APIResponse(status: health.httpStatus, body: health.body)
            response.headers.append(("Cache-Control", "no-store"))
            return response
        }
        // Only a lag limit on a fresh streaming standby needs the primary's position.
        if route != .primary, maxLag != nil, let status, status.isStreamingStandby,
            !status.isStale(nowMs: Self.monotonicNowMs, healthPeriodMs: healthPeriodMs)
        {
            return bridgeRecords(on: loop).map(decide)
        }
        return loop.makeSucceededFuture(decide(nil))
    }

    /// `GET /v1/postgres`.
    func postgres() throws(APIInputError) -> APIResponse {
        guard let segment else { return noSegment() }
        guard let status = try readPostgresStatus(segment) else {
            return .error(503, "the bridge has not published the PostgreSQL status yet (is it running?)")
        }
        return .json(200, PostgresView(status, nowMs: Self.monotonicNowMs, healthPeriodMs: config.healthPeriodMs))
    }

    /// `GET /v1/cluster`: the segment's view joined with the bridges' records and the local status.
    /// The records failing to come leaves the members without `postgres` and says why; the Raft
    /// side is answered all the same.
    func clusterWithPostgres(_ view: ClusterView, on loop: EventLoop) -> EventLoopFuture<APIResponse> {
        var local: PostgresView?
        if let segment, let status = try? readPostgresStatus(segment) {
            local = PostgresView(status, nowMs: Self.monotonicNowMs, healthPeriodMs: config.healthPeriodMs)
        }
        return bridgeRecords(on: loop).map { [local] records in .json(200, view.joined(with: records, local: local)) }
    }

    /// The local server's figures for `/metrics` (nil before the bridge's first status); reads the
    /// bridges' records only on a standby, whose lag needs the primary's position.
    func postgresFigures(on loop: EventLoop) -> EventLoopFuture<MetricsText.PostgresFigures?> {
        guard let segment, let status = try? readPostgresStatus(segment) else { return loop.makeSucceededFuture(nil) }
        let healthPeriodMs = config.healthPeriodMs
        let records: EventLoopFuture<BridgeRecords?> =
            status.role == .standby ? bridgeRecords(on: loop).map { $0.records } : loop.makeSucceededFuture(nil)
        return records.map { records in
            let now = Self.monotonicNowMs
            return MetricsText.PostgresFigures(
                status: status, stale: status.isStale(nowMs: now, healthPeriodMs: healthPeriodMs), ageMs: status.ageMs(nowMs: now),
                lag: PostgresHealth.lag(of: status, records: records))
        }
    }
}

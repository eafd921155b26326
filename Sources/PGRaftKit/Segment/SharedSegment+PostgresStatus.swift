import CShims
import PGRaftBridge

/// The local PostgreSQL server's status: one `SeqLatch` record (two copies) written by the bridge,
/// read by everyone (the api's health routes above all, which a load balancer polls).
///
/// As with the cluster state, readers never see a torn record and a bridge killed mid-publish leaves
/// them the previous complete one; the restarted bridge publishes again, its publication count going
/// on from the last complete record. A record that stops changing is how readers learn the bridge is
/// gone (`PostgresStatusSnapshot.isStale(nowMs:healthPeriodMs:)`).
extension SharedSegment {
    var postgresLatch: SeqLatch {
        SeqLatch(base: pointer(.postgresStatus), recordSize: SegmentSection.PostgresRecord.size)
    }

    /// Publishes `status` as one record, stamped with the next publication number and the time.
    ///
    /// Never fails: a ``PostgresStatusSnapshot/detail`` over ``PostgresStatusSnapshot/detailCapacity``
    /// bytes is cut on a character boundary and ends with "…" (or is cut at a NUL byte).
    ///
    /// - Parameters:
    ///   - status: the status; its `publication` and `publishedAtMs` are ignored.
    ///   - atMonotonicMs: the publication time on the monotonic clock; nil (the default) reads it now.
    ///     Tests give an earlier one to make a stale record.
    /// - Returns: the record as stored (publication number, time, detail as cut).
    /// - Important: writer: the bridge only, from one thread. It must publish at least once every
    ///   `health_period_ms`, unchanged or not, including while a long operation (a base backup) runs:
    ///   readers count a record older than `PostgresStatusSnapshot.staleAfterPeriods` periods as a
    ///   dead bridge, and the api then vouches for no role.
    @discardableResult
    public func publishPostgresStatus(_ status: PostgresStatusSnapshot, atMonotonicMs: UInt64? = nil) -> PostgresStatusSnapshot {
        typealias F = SegmentSection.PostgresRecord
        var stored = status
        let detail = SegmentMemory.truncatedBytes(status.detail, capacity: F.detailCapacity, marker: "…")
        stored.detail = String(decoding: detail, as: UTF8.self)
        stored.publication = postgresLatch.readAsWriter { $0.load(fromByteOffset: F.publication, as: UInt64.self) } &+ 1
        stored.publishedAtMs = atMonotonicMs ?? UInt64(max(0, pgr_monotonic_ms()))
        postgresLatch.write { record in
            record.storeBytes(of: stored.publication, toByteOffset: F.publication, as: UInt64.self)
            record.storeBytes(of: stored.publishedAtMs, toByteOffset: F.publishedAtMs, as: UInt64.self)
            record.storeBytes(of: F.roleCode(stored.role), toByteOffset: F.role, as: UInt32.self)
            record.storeBytes(of: UInt32(stored.writable ? 1 : 0), toByteOffset: F.writable, as: UInt32.self)
            record.storeBytes(of: stored.timeline, toByteOffset: F.timeline, as: UInt32.self)
            record.storeBytes(of: stored.postmasterPid, toByteOffset: F.postmasterPid, as: Int32.self)
            record.storeBytes(of: stored.flushed.value, toByteOffset: F.flushed, as: UInt64.self)
            record.storeBytes(of: stored.replayed.value, toByteOffset: F.replayed, as: UInt64.self)
            record.storeBytes(of: stored.streamingFrom, toByteOffset: F.streamingFrom, as: UInt64.self)
            SegmentMemory.writeFixed(detail, to: record + F.detail, capacity: F.detailCapacity)
        }
        return stored
    }

    /// The last status the bridge published completely; nil before its first publication.
    ///
    /// The record may be stale: check `isStale(nowMs:healthPeriodMs:)` before vouching for the server.
    /// - Throws: `SegmentError.readContention` if no consistent copy could be taken within the bounded
    ///   retry, which needs a writer publishing without pause; a crashed writer never causes it.
    public func readPostgresStatus() throws(SegmentError) -> PostgresStatusSnapshot? {
        guard let decoded = postgresLatch.read({ SharedSegment.decodePostgresStatus($0) }) else {
            throw .readContention(name: name, section: SegmentSection.postgresStatus.name)
        }
        return decoded
    }

    /// Decodes a record copy; nil for the zero record (never published). Never traps on any bytes (a
    /// copy being rewritten decodes to garbage that the latch then discards); an unknown role code,
    /// which no build of this layout writes, reads as no status.
    private static func decodePostgresStatus(_ record: UnsafeRawPointer) -> PostgresStatusSnapshot? {
        typealias F = SegmentSection.PostgresRecord
        let publication = record.load(fromByteOffset: F.publication, as: UInt64.self)
        guard publication != 0, let role = F.role(code: record.load(fromByteOffset: F.role, as: UInt32.self)) else { return nil }
        return PostgresStatusSnapshot(
            role: role,
            writable: record.load(fromByteOffset: F.writable, as: UInt32.self) != 0,
            timeline: record.load(fromByteOffset: F.timeline, as: UInt32.self),
            flushed: WALPosition(record.load(fromByteOffset: F.flushed, as: UInt64.self)),
            replayed: WALPosition(record.load(fromByteOffset: F.replayed, as: UInt64.self)),
            streamingFrom: record.load(fromByteOffset: F.streamingFrom, as: UInt64.self),
            postmasterPid: record.load(fromByteOffset: F.postmasterPid, as: Int32.self),
            detail: SegmentMemory.readFixed(record + F.detail, capacity: F.detailCapacity),
            publication: publication,
            publishedAtMs: record.load(fromByteOffset: F.publishedAtMs, as: UInt64.self))
    }
}

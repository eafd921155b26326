import Foundation
import PGRaftBridge
import PGRaftClient
import PGRaftKit

/// What the bridge shows: its log, and each member's status record for the others and operators.
extension BridgeLoop {
    /// Shows a new status: logs a change of role or of what the bridge does, and records it for the
    /// other members (on a change of role, timeline or upstream at once, else at most every few
    /// seconds while the WAL moves).
    func publish(_ status: BridgeStatus) {
        let now = Self.nowMs()
        publishLocally(status)
        let record = MemberStatus(
            node: settings.node, role: status.role, address: "\(address)", timeline: status.timeline, flushed: status.flushed,
            replayed: status.replayed, upstream: status.streamingFrom, writtenAtMs: UInt64(Date().timeIntervalSince1970 * 1000))
        let last = lastStatusRecord
        if last?.role != record.role { logger.info("postgres: \(status.role.rawValue): \(status.detail)") }
        let changed = last?.role != record.role || last?.timeline != record.timeline || last?.upstream != record.upstream
        let moved = last?.flushed != record.flushed || last?.replayed != record.replayed
        guard changed || (moved && now - lastStatusWriteMs >= Self.statusRefreshMs) else { return }
        lastStatusRecord = record
        writeStatus(record)
    }

    /// Writes the status record once more when the store does not hold the one last written (its
    /// write was lost: no leader then, or consensus restarting), at most every few seconds: the
    /// other members learn this server's address from it, and without it the primary would not
    /// admit it.
    func rewriteLostStatus() {
        guard let record = lastStatusRecord, storedStatus != record, Self.nowMs() - lastStatusWriteMs >= Self.statusRefreshMs else { return }
        writeStatus(record)
    }

    /// Sends `record` to consensus without waiting for it (``rewriteLostStatus()`` checks it arrived).
    private func writeStatus(_ record: MemberStatus) {
        lastStatusWriteMs = Self.nowMs()
        _ = client.submit(.put(key: MemberStatus.key(of: settings.node), value: record.encoded), timeout: .seconds(5))
    }
}

extension BridgeLoop {
    /// Shows `status` in the segment, for the api's health routes (every tick, so that a reader
    /// can tell a live bridge from a dead one by the record's age).
    func publishLocally(_ status: BridgeStatus) {
        lastPublished = status
        guard let segment else { return }
        let pid = server.postmaster?.pid ?? 0
        segment.publishPostgresStatus(
            PostgresStatusSnapshot(status, writable: status.role == .primary, postmasterPid: pid), atMonotonicMs: UInt64(Self.nowMs()))
    }

    /// As the bridge stops: a primary is fenced, since no bridge will fence it when its node stops
    /// leading; the server itself keeps running for the next bridge to adopt.
    func fenceOnExit() {
        fencePrimary(because: "the bridge stops; the next bridge lifts the fence if its node may acknowledge")
    }

    /// Fences the server if it runs as a primary that is not fenced (see ``SynchronousStandbys/fence``).
    func fencePrimary(because why: String) {
        guard let running = server.observe(members: members).running, !running.inRecovery,
            running.synchronousStandbyNames != SynchronousStandbys.fence
        else { return }
        do {
            try server.setSynchronousStandbys(SynchronousStandbys.fence)
            logger.info("fenced the primary: \(why)")
        } catch {
            logger.warning("could not fence the primary (\(why)): \(error)")
        }
    }
}

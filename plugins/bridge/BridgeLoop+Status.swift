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
        let record = MemberStatus(
            node: settings.node, role: status.role, address: "\(address)", timeline: status.timeline, flushed: status.flushed,
            replayed: status.replayed, upstream: status.streamingFrom, writtenAtMs: UInt64(Date().timeIntervalSince1970 * 1000))
        let last = lastStatusRecord
        if last?.role != record.role { logger.info("postgres: \(status.role.rawValue): \(status.detail)") }
        let changed = last?.role != record.role || last?.timeline != record.timeline || last?.upstream != record.upstream
        let moved = last?.flushed != record.flushed || last?.replayed != record.replayed
        guard changed || (moved && now - lastStatusWriteMs >= Self.statusRefreshMs) else { return }
        lastStatusRecord = record
        lastStatusWriteMs = now
        // Fire and forget: a lost status is written again with the next change.
        _ = client.submit(.put(key: MemberStatus.key(of: settings.node), value: record.encoded), timeout: .seconds(5))
    }
}

import PGRaftAPI
import PGRaftKit

/// The text `pgraftctl cluster status` prints: a header line for the node and the cluster, then a
/// table of members with their role as this node sees it and, when the view has it (the api's
/// `/v1/cluster`), each member's PostgreSQL server: role, timeline, WAL positions, lag.
public enum ClusterStatusReport {
    /// Renders `view`, ages of last contact measured from `nowMs` (wall-clock ms since the epoch).
    public static func render(_ view: ClusterView, nowMs: UInt64) -> String {
        let leader = view.leaderId.map { "node \($0)" } ?? "none known"
        var lines = [
            "cluster \(view.clusterName), node \(view.nodeId) (\(view.role)): term \(view.term), leader \(leader), "
                + "commit index \(view.commitIndex), applied index \(view.appliedIndex)"
        ]
        if view.role == NodeRole.nonMember.description {
            lines.append(
                "this node is not a member of the cluster: it was removed, or its addition has not reached the other members yet")
        }
        guard !view.members.isEmpty else {
            lines.append("no members published yet (consensus has not started or has no membership)")
            return lines.joined(separator: "\n")
        }
        // With the api's view, each member's PostgreSQL server too (as its bridge last recorded it).
        let withPostgres = view.postgres != nil
        let rows = view.members.map { member in
            var row = [
                String(member.id), member.address, role(of: member, leader: view.leaderId), String(member.matchIndex),
                member.lag.map(String.init) ?? "-", lastContact(member, nodeId: view.nodeId, nowMs: nowMs),
            ]
            if withPostgres {
                let server = member.postgres
                row += [
                    server?.role ?? "unknown", server.map { $0.timeline == 0 ? "-" : String($0.timeline) } ?? "-",
                    server?.flushed ?? "-", server?.replayed ?? "-", MemberList.formatLag(server?.lag),
                ]
            }
            return row
        }
        var header = ["ID", "ADDRESS", "ROLE", "MATCH", "LAG", "LAST CONTACT"]
        if withPostgres { header += ["POSTGRES", "TL", "FLUSHED", "REPLAYED", "PG LAG"] }
        lines.append(Table(header: header, rows: rows).render())
        if let side = view.postgres, let primary = side.topology?.primary {
            lines.append("postgres: primary node \(primary) (term \(side.topology?.term ?? 0), timeline \(side.topology?.timeline ?? 0))")
        } else if withPostgres {
            lines.append("postgres: no primary recorded")
        }
        return lines.joined(separator: "\n")
    }

    /// "leader", "learner" or "follower".
    static func role(of member: ClusterView.MemberView, leader: UInt64?) -> String {
        if member.id == leader { return "leader" }
        return member.kind == "learner" ? "learner" : "follower"
    }

    /// "self", "-" (never), or the age such as "120ms ago" / "3.4s ago".
    static func lastContact(_ member: ClusterView.MemberView, nodeId: Int, nowMs: UInt64) -> String {
        if member.id == UInt64(nodeId) { return "self" }
        guard let at = member.lastContactMs else { return "-" }
        let age = nowMs > at ? nowMs - at : 0
        if age < 1000 { return "\(age)ms ago" }
        if age < 60_000 { return "\(age / 1000).\(age % 1000 / 100)s ago" }
        return "\(age / 60_000)m\(age % 60_000 / 1000)s ago"
    }
}

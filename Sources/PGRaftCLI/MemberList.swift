import Foundation
import PGRaftAPI

/// What `pgraftctl list` shows, the table an operator reads first: the cluster, its recorded primary,
/// and one row per member with its PostgreSQL server as the member's bridge last recorded it. Built
/// from `GET /v1/cluster` of the node asked; rendered as text (``render()``) or JSON (`--json`).
public struct MemberList: Codable, Sendable, Equatable {
    /// One member.
    public struct Row: Codable, Sendable, Equatable {
        /// The member's node id.
        public var member: UInt64
        /// Where its server listens (`host:port`); nil without a record.
        public var host: String?
        /// Its server's role (`primary`, `fenced_primary`, `standby`, …), or `unknown` without a record.
        public var role: String
        /// Whether it is the writable primary (the `Leader` of the table).
        public var leader: Bool
        /// What its server is doing, in a few words ("running", "streaming from 2", "no status").
        public var state: String
        /// Its timeline; nil when unknown.
        public var timeline: UInt32?
        /// Bytes of WAL the recorded primary holds that it has not replayed; nil when unknown.
        public var lag: UInt64?

        /// Writes `host`, `timeline` and `lag` as null when unknown.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(member, forKey: .member)
            try c.encode(host, forKey: .host)
            try c.encode(role, forKey: .role)
            try c.encode(leader, forKey: .leader)
            try c.encode(state, forKey: .state)
            try c.encode(timeline, forKey: .timeline)
            try c.encode(lag, forKey: .lag)
        }
    }

    /// The cluster's name.
    public var clusterName: String
    /// The node whose api answered.
    public var nodeId: Int
    /// The recorded primary; nil when none is recorded.
    public var primary: UInt64?
    /// The term it was recorded for.
    public var term: UInt64?
    /// Its timeline.
    public var timeline: UInt32?
    /// One row per member of the Raft membership, in its order.
    public var members: [Row]
    /// The asked node's server, from its segment; nil before its bridge's first status.
    public var local: PostgresView?
    /// Why the members' records could not be read (then every row is unknown); nil when they were.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case primary, term, timeline, members, local, error
        case clusterName = "cluster_name"
        case nodeId = "node_id"
    }

    /// Writes every key, null when unknown.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clusterName, forKey: .clusterName)
        try c.encode(nodeId, forKey: .nodeId)
        try c.encode(primary, forKey: .primary)
        try c.encode(term, forKey: .term)
        try c.encode(timeline, forKey: .timeline)
        try c.encode(members, forKey: .members)
        try c.encode(local, forKey: .local)
        try c.encode(error, forKey: .error)
    }

    /// The list of `view` (`GET /v1/cluster`). A view without a PostgreSQL side (an api older than
    /// this command) lists every member as unknown and says so.
    public init(_ view: ClusterView) {
        clusterName = view.clusterName
        nodeId = view.nodeId
        let side = view.postgres
        primary = side?.topology?.primary
        term = side?.topology?.term
        timeline = side?.topology?.timeline
        local = side?.local
        error = side == nil ? "the api of node \(view.nodeId) does not show the PostgreSQL side (is it older than pgraftctl?)" : side?.error
        members = view.members.map { member in
            guard let server = member.postgres else {
                return Row(member: member.id, host: nil, role: "unknown", leader: false, state: "no status", timeline: nil, lag: nil)
            }
            // Only the recorded primary leads: a member whose own last record says primary, but which
            // the topology no longer names, is a former primary whose bridge has not written since
            // (its host down, or its rejoin under way).
            let recordedPrimary = side?.topology?.primary
            let recorded = server.role == "primary" && member.id == recordedPrimary
            let role = server.role == "primary" && recordedPrimary != nil && !recorded ? "former_primary" : server.role
            return Row(
                member: member.id, host: server.address, role: role, leader: recorded,
                state: role == "former_primary" ? "not the recorded primary" : Self.state(of: server),
                timeline: server.timeline == 0 ? nil : server.timeline, lag: server.lag)
        }
    }

    /// The list from the body of `GET /v1/cluster`.
    ///
    /// - Throws: `CLIError` when the body is not a cluster view.
    public init(clusterJSON body: [UInt8]) throws(CLIError) {
        do {
            self.init(try JSONDecoder().decode(ClusterView.self, from: Data(body)))
        } catch {
            throw CLIError("the api's answer to GET /v1/cluster is not a cluster view (\(error)): \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
    }

    /// A few words for what a member's server is doing.
    static func state(of server: MemberPostgresView) -> String {
        switch server.role {
        case "primary": return "running"
        case "fenced_primary": return "fenced"
        case "standby": return server.streamingFrom.map { "streaming from \($0)" } ?? "not streaming"
        case "promoting": return "promoting"
        case "stopped": return "stopped"
        case "preparing": return "preparing"
        case "refused": return "refused"
        default: return server.role
        }
    }

    /// The ROLE column: `Leader` for the recorded primary, else the role in words.
    static func roleColumn(_ row: Row) -> String {
        switch row.role {
        case "primary": return row.leader ? "Leader" : "Primary"
        case "standby": return "Replica"
        case "fenced_primary": return "Fenced primary"
        case "former_primary": return "Former primary"
        case "unknown": return "unknown"
        default: return row.role.prefix(1).uppercased() + row.role.dropFirst()
        }
    }

    /// A lag for a person: bytes under 1 MiB ("0", "816 B"), else MiB with one decimal ("12.3 MB");
    /// "-" when unknown.
    public static func formatLag(_ lag: UInt64?) -> String {
        guard let lag else { return "-" }
        if lag == 0 { return "0" }
        if lag < 1 << 20 { return "\(lag) B" }
        let tenths = (lag * 10 + (1 << 19)) >> 20  // rounded to the nearest tenth of a MiB
        return "\(tenths / 10).\(tenths % 10) MB"
    }

    /// The text: a line for the cluster and its recorded primary, the table, then the asked node's
    /// own status (and why the members' records are missing, if they are).
    public func render() -> String {
        var lines: [String] = []
        if let primary {
            lines.append("cluster \(clusterName): primary node \(primary) (term \(term ?? 0), timeline \(timeline ?? 0))")
        } else {
            lines.append("cluster \(clusterName): no primary recorded")
        }
        let rows = members.map { row in
            [
                String(row.member), row.host ?? "-", Self.roleColumn(row), row.state, row.timeline.map(String.init) ?? "-",
                Self.formatLag(row.lag),
            ]
        }
        if rows.isEmpty {
            lines.append("no members published yet (consensus has not started or has no membership)")
        } else {
            lines.append(Table(header: ["MEMBER", "HOST", "ROLE", "STATE", "TL", "LAG"], rows: rows).render())
        }
        if let error { lines.append("PostgreSQL status of the members unknown: \(error)") }
        if let local {
            var line = "node \(nodeId) (this node): \(local.role)"
            if !local.detail.isEmpty { line += ", \(local.detail)" }
            if local.stale {
                line += " (stale: the bridge has not published for \(local.ageMs / 1000).\(local.ageMs % 1000 / 100) s)"
            }
            lines.append(line)
        } else {
            lines.append("node \(nodeId) (this node): its bridge has published no status")
        }
        return lines.joined(separator: "\n")
    }
}

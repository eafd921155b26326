import PGRaftBridge
import PGRaftKit
import PGRaftClient

/// Renders the node's figures in the Prometheus text exposition format (version 0.0.4): each family
/// once, with its `# HELP` and `# TYPE` lines, then its samples.
public struct MetricsText: Sendable {
    /// The `Content-Type` of the exposition format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// One component's counters, by the component's name.
    public typealias ComponentCounts = (component: String, values: [(kind: CounterKind, value: UInt64)])

    /// The text so far.
    public private(set) var text = ""

    /// An empty exposition.
    public init() {}

    /// The local PostgreSQL server's figures: the bridge's last status and what the api derives.
    public struct PostgresFigures: Sendable, Equatable {
        /// The bridge's last published status.
        public var status: PostgresStatusSnapshot
        /// Whether it is stale (the bridge stopped publishing).
        public var stale: Bool
        /// Milliseconds since it was published.
        public var ageMs: UInt64
        /// Replay lag behind the recorded primary in bytes (0 on the writable primary); nil when unknown.
        public var lag: UInt64?

        /// Figures with the given values.
        public init(status: PostgresStatusSnapshot, stale: Bool, ageMs: UInt64, lag: UInt64?) {
            self.status = status
            self.stale = stale
            self.ageMs = ageMs
            self.lag = lag
        }
    }

    /// Renders everything known: the cluster state (when readable), the local PostgreSQL server (once
    /// the bridge has published), every component's counters, and the consensus-only families when
    /// `consensus` is given (it is nil while consensus is unreachable).
    public static func render(
        nodeId: Int, cluster: ClusterStateSnapshot?, components: [ComponentCounts], consensus: ConsensusMetrics?,
        postgres: PostgresFigures? = nil
    ) -> String {
        var out = MetricsText()
        if let cluster { out.cluster(cluster, nodeId: UInt64(nodeId)) }
        if let postgres { out.postgres(postgres) }
        out.counters(components)
        if let consensus { out.consensus(consensus) }
        return out.text
    }

    /// The local server's role (one sample per role), writability, timeline, WAL positions, lag and
    /// the freshness of the bridge's status. A stale status keeps its last values: alert on
    /// `pgraft_postgres_status_stale`.
    public mutating func postgres(_ figures: PostgresFigures) {
        let status = figures.status
        family("pgraft_postgres_role", "gauge", "1 for the local PostgreSQL server's role as the bridge last published it, 0 for the others.")
        for role in PostgresFigures.roles {
            sample("pgraft_postgres_role", [("role", role.rawValue)], role == status.role ? "1" : "0")
        }
        gauge("pgraft_postgres_writable", "1 when the bridge holds the local server as the writable primary, else 0.", status.isWritablePrimary ? 1 : 0)
        gauge("pgraft_postgres_timeline", "The local server's timeline (0: unknown).", UInt64(status.timeline))
        gauge("pgraft_postgres_flushed_bytes", "The local server's flushed WAL position, in bytes.", status.flushed.value)
        gauge("pgraft_postgres_replayed_bytes", "The local server's replayed WAL position, in bytes.", status.replayed.value)
        if let lag = figures.lag {
            gauge("pgraft_postgres_lag_bytes", "WAL bytes the recorded primary holds that the local server has not replayed (0 on the primary).", lag)
        }
        gauge("pgraft_postgres_status_stale", "1 when the bridge's status is older than \(PostgresStatusSnapshot.staleAfterPeriods) health periods (the bridge is not publishing).", figures.stale ? 1 : 0)
        family("pgraft_postgres_status_age_seconds", "gauge", "Seconds since the bridge last published the local server's status.")
        sample("pgraft_postgres_status_age_seconds", [], Self.number(Double(figures.ageMs) / 1000))
    }

    /// The term, leader, role and indexes; per-peer replication on the leader.
    public mutating func cluster(_ state: ClusterStateSnapshot, nodeId: UInt64) {
        gauge("pgraft_term", "The current Raft term.", state.term)
        gauge("pgraft_leader_id", "The leader's node id (0: none known).", state.leaderId)
        family("pgraft_role", "gauge", "1 for this node's Raft role, 0 for the others.")
        for role in NodeRole.allCases {
            sample("pgraft_role", [("role", role.description)], role == state.role ? "1" : "0")
        }
        gauge("pgraft_commit_index", "Highest log index known committed.", state.commitIndex)
        gauge("pgraft_applied_index", "Highest log index applied to the state machine.", state.appliedIndex)
        gauge("pgraft_last_index", "Last index in this node's log.", state.lastIndex)
        gauge("pgraft_snapshot_index", "Index of the latest snapshot.", state.snapshotIndex)
        // Match indexes are the leader's view; elsewhere they are zeros that would mislead.
        guard state.role == .leader else { return }
        let peers = state.members.filter { $0.id != nodeId }
        family("pgraft_peer_match_index", "gauge", "Highest log index known replicated on each peer (leader only).")
        for peer in peers { sample("pgraft_peer_match_index", [("peer", String(peer.id))], String(peer.matchIndex)) }
        family("pgraft_peer_lag_entries", "gauge", "Entries each peer is behind the leader's last index (leader only).")
        for peer in peers {
            sample("pgraft_peer_lag_entries", [("peer", String(peer.id))], String(state.lastIndex - min(peer.matchIndex, state.lastIndex)))
        }
    }

    /// Every counter kind as `pgraft_<kind>_total{component="..."}`, one family per kind.
    public mutating func counters(_ components: [ComponentCounts]) {
        guard !components.isEmpty else { return }
        for (position, kind) in CounterKind.allCases.enumerated() {
            let name = "pgraft_\(kind.metricName)_total"
            family(name, "counter", "Segment counter \(kind.metricName), per component.")
            for component in components where position < component.values.count {
                sample(name, [("component", component.component)], String(component.values[position].value))
            }
        }
    }

    /// Raft messages by kind and the commit latency histogram, from consensus.
    public mutating func consensus(_ metrics: ConsensusMetrics) {
        for (direction, list) in [("sent", metrics.sentByKind), ("received", metrics.receivedByKind)] {
            let name = "pgraft_raft_messages_\(direction)_total"
            family(name, "counter", "Raft messages \(direction), by message type.")
            for (kind, count) in list { sample(name, [("type", kind)], String(count)) }
        }
        let bounds = ConsensusMetrics.latencyBucketsMs
        // One count per bound and the total; another shape comes from a consensus with other bounds.
        guard metrics.latencyCounts.count == bounds.count + 1 else { return }
        let name = "pgraft_commit_latency_seconds"
        family(name, "histogram", "Time from proposing an entry to its commit, for this node's proposals.")
        var running: UInt64 = 0
        for (index, bound) in bounds.enumerated() {
            // Cumulative by contract; max() keeps the exposition valid should a count lag behind.
            running = max(running, metrics.latencyCounts[index])
            sample(name + "_bucket", [("le", Self.number(bound / 1000))], String(running))
        }
        let total = max(running, metrics.latencyCounts[bounds.count])
        sample(name + "_bucket", [("le", "+Inf")], String(total))
        sample(name + "_sum", [], Self.number(metrics.latencySumMs / 1000))
        sample(name + "_count", [], String(total))
    }

    private mutating func gauge(_ name: String, _ help: String, _ value: UInt64) {
        family(name, "gauge", help)
        sample(name, [], String(value))
    }

    private mutating func family(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    private mutating func sample(_ name: String, _ labels: [(String, String)], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + value + "\n"
    }

    /// A label value with backslash, double quote and newline escaped, as the format requires.
    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// A float as Prometheus reads it ("0.0005", "2.5", "1").
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}

extension MetricsText.PostgresFigures {
    /// Every role, in the order `pgraft_postgres_role` lists them.
    static let roles: [BridgeStatus.Role] = [.primary, .fencedPrimary, .standby, .promoting, .stopped, .preparing, .refused]

    /// Fails to compile when a role is added to `BridgeStatus.Role`: add it to ``roles`` too.
    private static func listed(_ role: BridgeStatus.Role) {
        switch role {
        case .primary, .fencedPrimary, .standby, .promoting, .stopped, .preparing, .refused: break
        }
    }
}

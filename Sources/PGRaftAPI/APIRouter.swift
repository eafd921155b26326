import CShims
import NIOCore
import PGRaftKit
import PGRaftClient

/// Maps a request to a response: segment reads are answered at once, everything that needs
/// consensus through the shared `ConsensusClient`.
public struct APIRouter: Sendable {
    /// The node's configuration.
    public let config: NodeConfig
    /// The node's segment; nil when the api runs by hand, without a supervisor.
    public let segment: SharedSegment?
    /// The link to consensus; nil answers every consensus request with 503.
    public let consensus: ConsensusClient?
    /// Who may make which request.
    public let access: APIAccess
    /// The longest key accepted, in UTF-8 bytes.
    public static let maxKeyBytes = 1024

    /// A router for the node described by `config`, allowing requests as `access` says.
    public init(config: NodeConfig, segment: SharedSegment?, consensus: ConsensusClient?, access: APIAccess = .open) {
        self.config = config
        self.segment = segment
        self.consensus = consensus
        self.access = access
    }

    /// The largest request body accepted (`api.max_value_bytes`); the connection handler refuses a
    /// larger one with 413 before reading it all.
    public var maxBodyBytes: Int { config.api.maxValueBytes }

    /// The answer to `request`, completed on `loop`.
    public func respond(to request: APIRequest, on loop: EventLoop) -> EventLoopFuture<APIResponse> {
        guard let endpoint = APIEndpoint(path: request.rawPath) else {
            return loop.makeSucceededFuture(.error(404, "no such endpoint: \(request.rawPath); endpoints: \(APIEndpoint.summary)"))
        }
        guard endpoint.methods.contains(request.method) else {
            let allowed = endpoint.methods.joined(separator: ", ")
            var response = APIResponse.error(405, "\(request.method) is not allowed on \(request.rawPath); allowed: \(allowed)")
            response.headers.append(("Allow", allowed))
            return loop.makeSucceededFuture(response)
        }
        if let refusal = access.refusal(of: endpoint, method: request.method, authorization: request.authorization, certified: request.certified) {
            return loop.makeSucceededFuture(refusal)
        }
        do {
            return try route(endpoint, request, on: loop)
        } catch {
            return loop.makeSucceededFuture(.error(error.status, error.description))
        }
    }

    private func route(_ endpoint: APIEndpoint, _ request: APIRequest, on loop: EventLoop) throws(APIInputError)
        -> EventLoopFuture<APIResponse>
    {
        func now(_ response: APIResponse) -> EventLoopFuture<APIResponse> { loop.makeSucceededFuture(response) }
        switch endpoint {
        case .health:
            _ = try request.query(allowed: [])
            return now(health())
        case .node:
            _ = try request.query(allowed: [])
            return now(.json(200, NodeView(config: config, segment: segment)))
        case .cluster:
            _ = try request.query(allowed: [])
            guard let view = try cluster() else { return now(noSegment()) }
            return clusterWithPostgres(view, on: loop)
        case .postgresHealth(let route):
            let query = try request.query(allowed: route == .primary ? [] : ["lag"])
            var maxLag: UInt64?
            if let text = query["lag"] { maxLag = try PostgresHealth.parseLag(text) }
            return try postgresHealth(route, maxLag: maxLag, on: loop)
        case .postgres:
            _ = try request.query(allowed: [])
            return now(try postgres())
        case .metrics:
            _ = try request.query(allowed: [])
            return metrics(on: loop)
        case .kvKey(let rawKey):
            let key = try Self.key(rawKey)
            switch request.method {
            case "PUT":
                try Self.checkWritable(key)
                return try put(key: key, value: request.body, on: loop)
            case "DELETE":
                _ = try request.query(allowed: [])
                try Self.checkWritable(key)
                return delete(key: key, on: loop)
            default: return get(key: key, stale: try APIRequest.staleFlag(request.query(allowed: ["stale"])), on: loop)
            }
        case .kvList:
            let query = try request.query(allowed: ["prefix", "stale"])
            let prefix = query["prefix"] ?? ""
            guard prefix.utf8.count <= Self.maxKeyBytes else {
                throw APIInputError("query parameter prefix is \(prefix.utf8.count) bytes; at most \(Self.maxKeyBytes) are allowed")
            }
            return list(prefix: prefix, stale: try APIRequest.staleFlag(query), on: loop)
        case .logStats:
            if request.method == "POST" { return try logAppend(request.body, on: loop) }
            if request.method == "DELETE" {
                let query = try request.query(allowed: ["through"])
                guard let raw = query["through"], let through = UInt64(raw), through > 0 else {
                    throw APIInputError("DELETE /v1/log needs ?through=SEQUENCE, a whole number ≥ 1 (the last record to drop)")
                }
                return logTrim(through: through, on: loop)
            }
            _ = try request.query(allowed: [])
            return logStats(on: loop)
        case .logRecord(let raw):
            guard let sequence = UInt64(raw), sequence > 0 else {
                throw APIInputError("the log sequence in the path must be a whole number ≥ 1, not \"\(raw)\"")
            }
            return logGet(sequence: sequence, stale: try APIRequest.staleFlag(request.query(allowed: ["stale"])), on: loop)
        case .members:
            if request.method == "POST" { return try addMember(request.body, on: loop) }
            _ = try request.query(allowed: [])
            return now(try cluster().map { .json(200, $0.members) } ?? noSegment())
        case .member(let raw):
            let id = try MemberArguments.nodeId(raw, what: "the node id in the path")
            return membership(.removeNode(id: id), on: loop)
        case .leaderTransfer:
            return try transferLeader(request.body, on: loop)
        }
    }

    /// A key from the path: percent-decoded, 1…1024 bytes.
    static func key(_ raw: Substring) throws(APIInputError) -> String {
        let key = try PercentDecoding.decode(raw, what: "key in the path")
        guard !key.isEmpty else { throw APIInputError("the key is empty: give it after /v1/kv/") }
        guard key.utf8.count <= maxKeyBytes else {
            throw APIInputError("the key is \(key.utf8.count) bytes; at most \(maxKeyBytes) are allowed")
        }
        return key
    }

    // MARK: - Segment

    /// What `GET /health` returns while the node works.
    struct Health: Encodable {
        let status: String
        let nodeId: Int

        enum CodingKeys: String, CodingKey {
            case status
            case nodeId = "node_id"
        }
    }

    private func health() -> APIResponse {
        if let state = try? segment?.readClusterState(), state.role == .nonMember {
            return .error(
                503,
                "node \(config.nodeId) is not a member of cluster \(config.clusterName): it was removed, or its addition has not reached the other members yet")
        }
        return .json(200, Health(status: "ok", nodeId: config.nodeId))
    }

    /// The cluster view from the segment, or nil without a segment.
    func cluster() throws(APIInputError) -> ClusterView? {
        guard let segment else { return nil }
        do {
            return ClusterView(clusterName: config.clusterName, nodeId: config.nodeId, state: try segment.readClusterState())
        } catch {
            throw APIInputError("cannot read the cluster state: \(error)", status: 503)
        }
    }

    func noSegment() -> APIResponse {
        .error(503, "the api runs without the node's shared segment (not started by pgraftd): no cluster state")
    }

    /// Every named component slot's counters.
    private func componentCounters() -> [MetricsText.ComponentCounts] {
        guard let segment else { return [] }
        return (0..<segment.componentCapacity).compactMap { index in
            let name = segment.componentSlot(at: index).name
            return name.isEmpty ? nil : (name, segment.counters(at: index).values)
        }
    }

    /// How long `/metrics` waits for consensus's figures before answering without them.
    static let metricsTimeout = TimeAmount.seconds(2)

    private func metrics(on loop: EventLoop) -> EventLoopFuture<APIResponse> {
        let figures: EventLoopFuture<ConsensusMetrics?> =
            consensus.map { client in
                client.submit(.metrics, timeout: Self.metricsTimeout).hop(to: loop).map { reply in
                    if reply.status == .ok, case .metrics(let metrics) = reply.result { return metrics }
                    return nil
                }
            } ?? loop.makeSucceededFuture(nil)
        return figures.and(postgresFigures(on: loop)).map { consensusMetrics, postgres in
            let text = MetricsText.render(
                nodeId: config.nodeId, cluster: try? segment?.readClusterState(), components: componentCounters(),
                consensus: consensusMetrics, postgres: postgres)
            return APIResponse(status: 200, body: Array(text.utf8), contentType: MetricsText.contentType)
        }
    }
}

/// The API's endpoints, matched from a request path, with the methods each accepts.
enum APIEndpoint: Equatable {
    case health
    case node
    case kvList
    /// `/v1/kv/{key}`: the key still percent-encoded.
    case kvKey(rawKey: Substring)
    case logStats
    /// `/v1/log/{sequence}`.
    case logRecord(rawSequence: Substring)
    case cluster
    case members
    /// `/v1/members/{id}`.
    case member(rawId: Substring)
    case leaderTransfer
    case metrics
    /// `/primary`, `/replica`, `/read-only`: the load balancer's health routes.
    case postgresHealth(PostgresHealth.Route)
    /// `/v1/postgres`: the local server's status.
    case postgres

    /// The endpoints as listed in a 404's message.
    static let summary =
        "/health, /primary, /replica, /read-only, /v1/node, /v1/postgres, /v1/cluster, /v1/kv, /v1/kv/{key}, /v1/log, /v1/log/{sequence}, /v1/members, /v1/members/{id}, /v1/leader/transfer, /metrics"

    /// The endpoint `path` names, or nil.
    init?(path: String) {
        switch path {
        case "/health": self = .health
        case "/v1/node": self = .node
        case "/v1/kv": self = .kvList
        case "/v1/log": self = .logStats
        case "/v1/cluster": self = .cluster
        case "/v1/members": self = .members
        case "/v1/leader/transfer": self = .leaderTransfer
        case "/metrics": self = .metrics
        case "/primary": self = .postgresHealth(.primary)
        case "/replica": self = .postgresHealth(.replica)
        case "/read-only": self = .postgresHealth(.readOnly)
        case "/v1/postgres": self = .postgres
        default:
            if let rest = Self.rest(of: path, after: "/v1/kv/") {
                self = .kvKey(rawKey: rest)
            } else if let rest = Self.rest(of: path, after: "/v1/log/") {
                self = .logRecord(rawSequence: rest)
            } else if let rest = Self.rest(of: path, after: "/v1/members/") {
                self = .member(rawId: rest)
            } else {
                return nil
            }
        }
    }

    /// The methods the endpoint accepts, in the order `Allow` lists them.
    var methods: [String] {
        switch self {
        case .health, .node, .postgres: return ["GET", "HEAD"]
        // OPTIONS too: HAProxy's `option httpchk` sends it unless told otherwise.
        case .postgresHealth: return ["GET", "HEAD", "OPTIONS"]
        case .kvKey: return ["GET", "PUT", "DELETE"]
        case .logStats: return ["GET", "POST", "DELETE"]
        case .members: return ["GET", "POST"]
        case .kvList, .logRecord, .cluster, .metrics: return ["GET"]
        case .member: return ["DELETE"]
        case .leaderTransfer: return ["POST"]
        }
    }

    private static func rest(of path: String, after prefix: String) -> Substring? {
        path.hasPrefix(prefix) ? path.dropFirst(prefix.count) : nil
    }
}

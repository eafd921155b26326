import PGRaftKit

/// Who may make which request (`api.token_file`, `api.tls.ca_file`, `api.auth`): a request within
/// the scope must carry `Authorization: Bearer <token>` with one of the file's tokens, or come over
/// a TLS connection whose client certificate chains to `api.tls.ca_file`. Without either, every
/// request is allowed (a loopback API, or `api.allow_unauthenticated`).
public struct APIAccess: Sendable {
    /// The accepted tokens; nil: none.
    let tokens: APITokens?
    /// Whether a verified client certificate authenticates a request.
    let clientCertificates: Bool
    /// Which requests need credentials.
    let scope: APIAuthScope

    /// Access with `tokens` and, when `clientCertificates`, verified client certificates, for the
    /// requests `scope` names; with neither, everything is open.
    public init(tokens: APITokens?, clientCertificates: Bool = false, scope: APIAuthScope) {
        self.tokens = tokens
        self.clientCertificates = clientCertificates
        self.scope = scope
    }

    /// Everything allowed.
    public static let open = APIAccess(tokens: nil, scope: .writes)

    /// The refusal of `method` on `endpoint` carrying `authorization` (the header's value) over a
    /// connection with a verified client certificate or not, or nil when it may go on. Missing or
    /// unknown credentials are 401 with `WWW-Authenticate`, as RFC 6750 asks; the answer never
    /// repeats what the request sent.
    func refusal(of endpoint: APIEndpoint, method: String, authorization: String?, certified: Bool = false) -> APIResponse? {
        guard tokens != nil || clientCertificates, needsToken(endpoint, method: method) else { return nil }
        if certified && clientCertificates { return nil }
        guard let tokens else {
            return Self.unauthorized("\(method) \(endpoint.name) needs a client certificate signed by api.tls.ca_file", error: nil)
        }
        guard let authorization else {
            let or = clientCertificates ? " or a client certificate" : ""
            return Self.unauthorized("\(method) \(endpoint.name) needs a bearer token (Authorization: Bearer TOKEN, one of api.token_file's)\(or)", error: nil)
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return Self.unauthorized("the Authorization header must be \"Bearer TOKEN\"", error: "invalid_request")
        }
        guard tokens.accepts(String(parts[1])) else {
            return Self.unauthorized("the bearer token is not one of api.token_file's", error: "invalid_token")
        }
        return nil
    }

    /// Whether `method` on `endpoint` needs a token under this scope.
    func needsToken(_ endpoint: APIEndpoint, method: String) -> Bool {
        switch scope {
        case .all: return true
        case .reads: return !endpoint.isHealthCheck
        case .writes: return endpoint.changesState(method: method)
        }
    }

    private static func unauthorized(_ message: String, error: String?) -> APIResponse {
        var response = APIResponse.error(401, message)
        response.headers.append(("WWW-Authenticate", "Bearer realm=\"pgraft\"" + (error.map { ", error=\"\($0)\"" } ?? "")))
        return response
    }
}

extension APIEndpoint {
    /// Whether `method` on this endpoint changes the cluster's state.
    func changesState(method: String) -> Bool {
        switch self {
        case .kvKey: return method == "PUT" || method == "DELETE"
        case .logStats, .members: return method == "POST" || method == "DELETE"
        case .member, .leaderTransfer: return true
        case .health, .node, .kvList, .logRecord, .cluster, .metrics, .postgresHealth, .postgres: return false
        }
    }

    /// Whether this is one of the checks a load balancer polls.
    var isHealthCheck: Bool {
        switch self {
        case .health, .postgresHealth: return true
        default: return false
        }
    }

    /// The endpoint's path pattern, for messages.
    var name: String {
        switch self {
        case .health: return "/health"
        case .node: return "/v1/node"
        case .kvList: return "/v1/kv"
        case .kvKey: return "/v1/kv/{key}"
        case .logStats: return "/v1/log"
        case .logRecord: return "/v1/log/{sequence}"
        case .cluster: return "/v1/cluster"
        case .members: return "/v1/members"
        case .member: return "/v1/members/{id}"
        case .leaderTransfer: return "/v1/leader/transfer"
        case .metrics: return "/metrics"
        case .postgresHealth(let route): return route.rawValue
        case .postgres: return "/v1/postgres"
        }
    }
}

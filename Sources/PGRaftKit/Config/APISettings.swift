/// Where the api component serves HTTP (the YAML's `api:` section).
public struct APISettings: Sendable, Equatable {
    /// Address to bind (`listen_address`, default `127.0.0.1`).
    public var listenAddress: String
    /// TCP port to bind (`listen_port`, 1–65535, default 8008).
    public var listenPort: Int
    /// Largest value a key-value put or a log append may carry, in bytes (`max_value_bytes`,
    /// default 1 MiB, at most 8 MiB); larger ones are refused with 413.
    public var maxValueBytes: Int
    /// The file of the bearer tokens requests must carry (`token_file`, absolute; nil: none). See `APITokens`.
    public var tokenFile: String?
    /// Which requests need a token when `tokenFile` is set (`auth`, default `writes`).
    public var auth: APIAuthScope
    /// TLS on the API's port (`tls:`; nil: plain HTTP). With `ca_file`, a client certificate that
    /// chains to it authenticates a request as a token does.
    public var tls: TLSFiles?
    /// Whether a `listen_address` other hosts can reach may go without `token_file`
    /// (`allow_unauthenticated`, default false: such a configuration is refused).
    public var allowUnauthenticated: Bool

    /// The defaults: `127.0.0.1:8008`, 1 MiB values, no tokens.
    public static let defaults = APISettings(listenAddress: "127.0.0.1", listenPort: 8008)

    /// Settings with explicit values.
    public init(
        listenAddress: String, listenPort: Int, maxValueBytes: Int = 1 << 20, tokenFile: String? = nil, auth: APIAuthScope = .writes,
        allowUnauthenticated: Bool = false, tls: TLSFiles? = nil
    ) {
        self.tls = tls
        self.listenAddress = listenAddress
        self.listenPort = listenPort
        self.maxValueBytes = maxValueBytes
        self.tokenFile = tokenFile
        self.auth = auth
        self.allowUnauthenticated = allowUnauthenticated
    }
}

/// Which HTTP requests must carry one of `api.token_file`'s bearer tokens (`api.auth`).
public enum APIAuthScope: String, Sendable, Equatable, CaseIterable {
    /// Requests that change state: key-value puts and deletes, log appends and trims, membership
    /// changes, leadership transfers. Reads, metrics and health checks stay open.
    case writes
    /// Every request but the health checks a load balancer polls (`/health`, `/primary`,
    /// `/replica`, `/read-only`).
    case reads
    /// Every request, the health checks too.
    case all
}

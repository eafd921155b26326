/// How the bridge reaches the local PostgreSQL (the YAML's optional `postgres:` section).
public struct PostgresSettings: Sendable, Equatable {
    /// libpq connection string (`conninfo`, required inside the section).
    public var conninfo: String
    /// First delay before reconnecting after a lost connection, in ms (`reconnect_initial_ms`, default 100).
    public var reconnectInitialMs: Int
    /// Longest delay between reconnect attempts, in ms (`reconnect_max_ms`, default 5000, ≥ the initial delay).
    public var reconnectMaxMs: Int

    /// Settings with explicit values.
    public init(conninfo: String, reconnectInitialMs: Int = 100, reconnectMaxMs: Int = 5000) {
        self.conninfo = conninfo
        self.reconnectInitialMs = reconnectInitialMs
        self.reconnectMaxMs = reconnectMaxMs
    }
}

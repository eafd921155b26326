/// Where a member's PostgreSQL server accepts connections from the other members: what a standby's
/// `primary_conninfo` names and what its WAL receiver reports as the sender.
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// A host name or IP address.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// The address `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`.
    public var description: String { "\(host):\(port)" }
}

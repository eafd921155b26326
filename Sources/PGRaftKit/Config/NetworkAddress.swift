/// A TCP address as the configuration writes it, `host:port` (IPv6 as `[::1]:5432`): where other
/// machines reach a listener (`postgres.connect_address`).
public struct NetworkAddress: Sendable, Equatable, CustomStringConvertible {
    /// Host name, IPv4 address or IPv6 address (without brackets).
    public var host: String
    /// TCP port, 1–65535.
    public var port: Int

    /// The address `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `"host:port"`, with an IPv6 host in brackets (`"[::1]:5432"`), as written in the YAML.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// One voting member of the initial cluster: its node id and the address its transport listens on.
public struct Member: Sendable, Equatable {
    /// The member's node id (1 … 2^31-1), unique in the cluster.
    public var id: Int
    /// Host name, IPv4 address or IPv6 address (without brackets).
    public var host: String
    /// TCP port, 1–65535.
    public var port: Int

    /// A member with the given id and address.
    public init(id: Int, host: String, port: Int) {
        self.id = id
        self.host = host
        self.port = port
    }

    /// `"host:port"`, with an IPv6 host in brackets (`"[::1]:7001"`), as written in the YAML.
    public var address: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension Member {
    /// A member from an address in the configuration's syntax, `host:port` (IPv6 as `[::1]:7001`);
    /// nil when `address` is not one, so that run-time additions obey the same rules as the file.
    public init?(id: Int, address: String) {
        guard case .success(let parsed) = ConfigSyntax.parseAddress(address) else { return nil }
        self.init(id: id, host: parsed.host, port: parsed.port)
    }
}

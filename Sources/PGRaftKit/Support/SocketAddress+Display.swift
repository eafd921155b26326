import NIOCore

extension SocketAddress {
    /// The address as an operator writes it, `host:port` (`[v6]:port` for IPv6), or the socket path:
    /// what logs and refusals name, instead of NIO's `[IPv4]host/host:port`.
    public var display: String {
        switch self {
        case .v4: return "\(ipAddress ?? "?"):\(port ?? 0)"
        case .v6: return "[\(ipAddress ?? "?")]:\(port ?? 0)"
        case .unixDomainSocket: return pathname ?? "?"
        }
    }
}

extension Optional where Wrapped == SocketAddress {
    /// The address's `display`, or "?" when the channel has none (closed).
    public var display: String { map(\.display) ?? "?" }
}

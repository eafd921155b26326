/// What a server is configured and started as.
public enum ServerRole: Sendable, Hashable, CustomStringConvertible {
    /// A primary: accepts writes, no `standby.signal`, no `primary_conninfo`.
    case primary
    /// A hot standby streaming from `upstream` through the slot named after this node.
    case standby(of: Upstream)

    /// `primary` or `standby of node N (host:port)`.
    public var description: String {
        switch self {
        case .primary: "primary"
        case .standby(let upstream): "standby of \(upstream)"
        }
    }
}

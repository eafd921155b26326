/// What a server is configured and started as.
public enum ServerRole: Sendable, Hashable, CustomStringConvertible {
    /// A primary: accepts writes, no `standby.signal`, no `primary_conninfo`.
    case primary
    /// A hot standby streaming from `upstream` through the slot named after this node.
    case standby(of: Upstream)
    /// A hot standby that streams from nobody (`standby.signal`, no `primary_conninfo`): a server
    /// that must stop taking WAL from the old primary before its position is reported.
    case detachedStandby

    /// `primary`, `standby of node N (host:port)` or `standby of nobody`.
    public var description: String {
        switch self {
        case .primary: "primary"
        case .standby(let upstream): "standby of \(upstream)"
        case .detachedStandby: "standby of nobody"
        }
    }
}

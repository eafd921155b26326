import PGRaftBridge

/// The server a standby streams from: the member and where its PostgreSQL listens.
public struct Upstream: Sendable, Hashable, CustomStringConvertible {
    /// The member's node id.
    public var node: UInt64
    /// Its PostgreSQL server's address.
    public var address: ServerAddress

    /// The upstream `node` at `address`.
    public init(node: UInt64, address: ServerAddress) {
        self.node = node
        self.address = address
    }

    /// `node N (host:port)`.
    public var description: String { "node \(node) (\(address))" }
}

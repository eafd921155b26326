/// The members' PostgreSQL addresses, as the other members connect to them: the table that turns
/// a WAL receiver's sender host and port into a member, and from which `pg_hba.conf` admits the
/// members' replication connections.
public struct MemberAddresses: Sendable, Equatable {
    /// Each member's address, by node id.
    public var addresses: [UInt64: ServerAddress]

    /// A table of these addresses.
    public init(_ addresses: [UInt64: ServerAddress] = [:]) {
        self.addresses = addresses
    }

    /// The member whose address is `host` and `port`, nil when none is (or more than one is).
    public func node(host: String, port: Int) -> UInt64? {
        let matches = addresses.filter { $0.value.host == host && $0.value.port == port }
        return matches.count == 1 ? matches.first?.key : nil
    }

    /// The distinct hosts of the members, sorted.
    public var hosts: [String] { Set(addresses.values.map(\.host)).sorted() }
}

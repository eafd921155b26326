/// Checks of the node ids and peer addresses an operator gives (`POST /v1/members`,
/// `pgraftctl cluster add-node`), so both refuse the same inputs with the same words.
public enum MemberArguments {
    /// The largest node id, as for `node_id` in the configuration.
    public static let maxNodeId: UInt64 = (1 << 31) - 1

    /// `value` as a node id in 1…2³¹−1.
    ///
    /// - Parameter what: names the argument in the error, e.g. "node id in the path".
    /// - Throws: `APIInputError` saying what is wrong.
    public static func nodeId(_ value: some StringProtocol, what: String) throws(APIInputError) -> UInt64 {
        guard let id = UInt64(value) else {
            throw APIInputError("\(what) must be a whole number in 1…\(maxNodeId), not \"\(value)\"")
        }
        return try nodeId(id, what: what)
    }

    /// `id` when it lies in 1…2³¹−1.
    public static func nodeId(_ id: UInt64, what: String) throws(APIInputError) -> UInt64 {
        guard (1...maxNodeId).contains(id) else { throw APIInputError("\(what) must be in 1…\(maxNodeId), not \(id)") }
        return id
    }

    /// `address` when it is "host:port" with a non-empty host (a bracketed IPv6 literal allowed), a
    /// port in 1…65535, at most 64 bytes (what the segment's member table holds) and no whitespace.
    public static func address(_ address: String, what: String) throws(APIInputError) -> String {
        guard address.utf8.count <= 64 else {
            throw APIInputError("\(what) \"\(address)\" is \(address.utf8.count) bytes; at most 64 are allowed")
        }
        guard !address.contains(where: \.isWhitespace) else { throw APIInputError("\(what) \"\(address)\" contains whitespace") }
        guard let colon = address.lastIndex(of: ":") else {
            throw APIInputError("\(what) \"\(address)\" must be host:port, e.g. 10.0.0.4:7001")
        }
        var host = address[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw APIInputError("\(what) \"\(address)\" has no host before the port") }
        guard !host.contains(":") || address.hasPrefix("[") else {
            throw APIInputError("\(what) \"\(address)\": write an IPv6 host in brackets, e.g. [::1]:7001")
        }
        let port = address[address.index(after: colon)...]
        guard let number = Int(port), (1...65535).contains(number) else {
            throw APIInputError("\(what) \"\(address)\" has port \"\(port)\"; it must be in 1…65535")
        }
        return address
    }
}

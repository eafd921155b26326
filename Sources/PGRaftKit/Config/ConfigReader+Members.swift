extension ConfigSetting {
    /// `members`: the list of `{id, address}`; absent, this node alone at its listen address.
    static let members = ConfigSetting(
        key: "members", readers: .components(["consensus", "transport"]),
        read: { reader, map, config in
            let members = reader.readMembers(
                map, nodeId: reader.isValid("node_id") ? config.nodeId : nil,
                listenAddress: reader.isValid("listen_address") ? config.listenAddress : nil,
                listenPort: reader.isValid("listen_port") ? config.listenPort : nil)
            guard let members else { return false }
            config.members = members
            return true
        },
        write: { config, out in
            out.section("members") { out in
                for member in config.members {
                    out.item { item in
                        item.int("id", member.id)
                        item.string("address", member.address)
                    }
                }
            }
        })
}

extension ConfigReader {
    /// The `members` list: unique ids, valid `host:port` addresses, and this node among them.
    /// Absent: this node alone, at its listen address.
    mutating func readMembers(
        _ map: ConfigMapping, nodeId: Int?, listenAddress: String?, listenPort: Int?
    ) -> [Member]? {
        guard let entry = map.entry("members") else {
            guard let nodeId, let listenAddress, let listenPort else { return nil }
            return [Member(id: nodeId, host: listenAddress, port: listenPort)]
        }
        guard case .sequence(let sequence) = entry.value.content else {
            error(entry.value.position, "members: expected a list of {id, address} mappings, got \(ConfigValueKind(entry.value).description)")
            return nil
        }
        var members: [Member] = []
        var valid = true
        var firstLine: [Int: Int] = [:]
        for (index, item) in sequence.enumerated() {
            let label = "members[\(index)]"
            let itemMark = item.position
            guard case .mapping = item.content else {
                error(itemMark, "\(label): expected a mapping {id: <node id>, address: \"host:port\"}, got \(ConfigValueKind(item).description)")
                valid = false
                continue
            }
            guard let itemMap = ConfigMapping(item, path: label, anchor: itemMark, knownKeys: ConfigSchema.memberKeys, reader: &self)
            else { valid = false; continue }
            var id = int("id", in: itemMap, default: nil, range: ConfigSchema.nodeIdRange)
            if let current = id {
                if let line = firstLine[current] {
                    error(itemMap.mark("id"), "\(label).id: duplicate member id \(current) (first used at line \(line))")
                    id = nil
                } else {
                    firstLine[current] = itemMap.mark("id").line
                }
            }
            let address = readMemberAddress(itemMap, label: label)
            guard let id, let address else { valid = false; continue }
            members.append(Member(id: id, host: address.host, port: address.port))
        }
        guard valid else { return nil }
        if members.isEmpty {
            error(entry.value.position, "members: the list is empty; it must contain at least this node\(nodeId.map { " (id \($0))" } ?? "")")
            return nil
        }
        if let nodeId, !members.contains(where: { $0.id == nodeId }) {
            let ids = members.map { String($0.id) }.joined(separator: ", ")
            error(entry.keyMark, "members: node_id \(nodeId) is not among the members (ids \(ids)); the list must contain this node")
            return nil
        }
        return members
    }

    private mutating func readMemberAddress(_ map: ConfigMapping, label: String) -> (host: String, port: Int)? {
        guard let node = map.value("address") else {
            missing("address", in: map, note: " (\"host:port\")")
            return nil
        }
        let kind = ConfigValueKind(node)
        guard let text = kind.scalarText, case .string = kind else {
            error(node.position, "\(label).address: expected a string \"host:port\", got \(kind.description)")
            return nil
        }
        switch ConfigSyntax.parseAddress(text) {
        case .success(let address):
            return address
        case .failure(.format):
            error(node.position, "\(label).address: expected \"host:port\" (IPv6 as \"[::1]:7001\"), got \(ConfigYAMLWriter.quoted(text))")
        case .failure(.port(let port)):
            error(node.position, "\(label).address: port \(port) is out of range 1–65535")
        }
        return nil
    }
}

extension ConfigReader {
    /// Reads the whole configuration from the document's root node; nil when anything is wrong
    /// (every problem is then in `errors`).
    mutating func readNodeConfig(_ root: YAMLNode, sourcePath: String) -> NodeConfig? {
        if case .mapping = root.content {} else {
            error(root.position, "the top level must be a mapping of settings (key: value), got \(ConfigValueKind(root).description)")
            return nil
        }
        guard let top = ConfigMapping(root, path: "", anchor: ConfigPosition(line: 1, column: 1), knownKeys: ConfigSchema.topLevelKeys, reader: &self)
        else { return nil }
        var config = NodeConfig.unread
        config.path = sourcePath
        var sections: [String: ConfigMapping] = [:]
        for group in ConfigSchema.groups {
            let keys = group.keys
            var map = top
            if let section = group.section {
                if let absence = group.absence {
                    guard top.entry(section) != nil else { continue }
                    absence.makePresent(&config)
                }
                guard let read = self.section(section, in: top, knownKeys: group.settings.map(\.key)) else {
                    invalidSettings.formUnion(keys)
                    continue
                }
                map = read
                sections[section] = read
            }
            for (key, setting) in zip(keys, group.settings) where !setting.read(&self, map, &config) {
                invalidSettings.insert(key)
            }
        }
        crossCheck(config, top: top, sections: sections)
        return errors.isEmpty ? config : nil
    }

    /// The rules between settings: election timeout and heartbeat, the socket path's length, the two
    /// listeners' ports, the backoff's bounds and the postgres section's rules (checked only between
    /// settings read correctly).
    private mutating func crossCheck(_ config: NodeConfig, top: ConfigMapping, sections: [String: ConfigMapping]) {
        if isValid("heartbeat_interval", "election_timeout"), config.electionTimeout < 2 * config.heartbeatInterval {
            let given = top.value("election_timeout") != nil
            let at = given ? top.mark("election_timeout") : top.mark("heartbeat_interval")
            error(at, "election_timeout: \(config.electionTimeout)\(given ? "" : " (the default)") must be at least 2 × heartbeat_interval (\(config.heartbeatInterval)) = \(2 * config.heartbeatInterval)")
        }
        if isValid("run_dir"), config.consensusSocketPath.utf8.count > ConfigSchema.maxSocketPathBytes {
            let socket = config.consensusSocketPath
            error(top.mark("run_dir"), "run_dir: \(ConfigYAMLWriter.quoted(config.runDir)) is too long: the socket path \(ConfigYAMLWriter.quoted(socket)) is \(socket.utf8.count) bytes, a Unix socket path allows at most \(ConfigSchema.maxSocketPathBytes)")
        }
        if isValid("listen_address", "listen_port", "api.listen_address", "api.listen_port"), let api = sections["api"],
            config.api.listenPort == config.listenPort,
            ConfigReader.addressesOverlap(config.api.listenAddress, config.listenAddress)
        {
            let at = api.value("listen_port") != nil ? api.mark("listen_port") : top.mark("listen_port")
            error(at, "api.listen_port: \(config.listenPort) is also listen_port on \(config.api.listenAddress); the peer listener and the HTTP API need different ports")
        }
        if isValid("listen_address", "cluster_secret_file", "tls", "allow_unauthenticated_peers"), config.clusterSecretFile == nil,
            config.tls == nil, !config.allowUnauthenticatedPeers, !ConfigSyntax.isLoopback(config.listenAddress)
        {
            error(
                top.mark("listen_address"),
                "listen_address: \(config.listenAddress) can be reached from other hosts, and nothing authenticates peers: "
                    + "any process that knows the cluster name could join the vote. Set tls (certificates from one authority; "
                    + "pgraftctl cert makes them) or cluster_secret_file (the same file on every node; pgraftctl secret init FILE "
                    + "makes one), or allow_unauthenticated_peers: true to accept that risk")
        }
        if isValid("api.listen_address", "api.token_file", "api.tls", "api.allow_unauthenticated"), config.api.tokenFile == nil,
            config.api.tls?.caFile == nil, !config.api.allowUnauthenticated, !ConfigSyntax.isLoopback(config.api.listenAddress)
        {
            error(
                sections["api"]?.mark("listen_address") ?? top.anchor,
                "api.listen_address: \(config.api.listenAddress) can be reached from other hosts, and nothing authenticates requests: "
                    + "anyone who reaches it could write keys, change the membership or move leadership. Set api.token_file "
                    + "(bearer tokens, one per line; pgraftctl secret init FILE makes one) or api.tls.ca_file (client certificates), "
                    + "or api.allow_unauthenticated: true to accept that risk")
        }
        if isValid("api.auth"), let api = sections["api"], api.value("auth") != nil, config.api.auth != APISettings.defaults.auth,
            config.api.tokenFile == nil, config.api.tls?.caFile == nil
        {
            error(
                api.mark("auth"),
                "api.auth: \(config.api.auth.rawValue) needs api.token_file or api.tls.ca_file, the credentials requests must carry")
        }
        if isValid("cluster_secret_file", "api.token_file"), let secret = config.clusterSecretFile, secret == config.api.tokenFile {
            error(
                sections["api"]?.mark("token_file") ?? top.anchor,
                "api.token_file: \(secret) is also cluster_secret_file: pgraftctl would send the cluster secret as a bearer token, "
                    + "where a sniffed request would let anyone join the vote; use two files")
        }
        crossCheckPostgres(config, top: top, sections: sections)
        let supervisor = config.supervisor
        if let section = sections["supervisor"], isValid("supervisor.backoff_initial_ms", "supervisor.backoff_max_ms"),
            supervisor.backoffMaxMs < supervisor.backoffInitialMs
        {
            let at = section.value("backoff_max_ms") != nil ? section.mark("backoff_max_ms") : section.mark("backoff_initial_ms")
            error(at, "supervisor.backoff_max_ms: \(supervisor.backoffMaxMs) must be at least backoff_initial_ms (\(supervisor.backoffInitialMs))")
        }
    }

    /// Whether all of `keys` (dotted) were read without an error.
    func isValid(_ keys: String...) -> Bool {
        keys.allSatisfy { !invalidSettings.contains($0) }
    }

    /// The listen addresses that mean every address.
    static let wildcardAddresses: Set<String> = ["0.0.0.0", "::", "*"]

    /// Whether listeners on `lhs` and `rhs` collide for the same port (equal, or either a wildcard).
    static func addressesOverlap(_ lhs: String, _ rhs: String) -> Bool {
        lhs == rhs || wildcardAddresses.contains(lhs) || wildcardAddresses.contains(rhs)
    }
}

extension NodeConfig {
    /// What the reader starts from: every setting is then read from the file or given its default.
    fileprivate static let unread = NodeConfig(
        clusterName: "", nodeId: 0, listenAddress: "", listenPort: 0, peerTimeout: 0, heartbeatInterval: 0,
        electionTimeout: 0, maxLogEntries: 0, debugEnabled: false, healthPeriodMs: 0, members: [], dataDir: "",
        runDir: "", logDir: "", log: .defaults, api: .defaults, postgres: nil, supervisor: .defaults,
        components: [], path: "")
}

import PGRaftBridge

extension ConfigSetting {
    /// `postgres.connect_address`: `host:port`; absent, `listen_address:port` (which a wildcard
    /// listen address cannot give).
    static let postgresConnectAddress = ConfigSetting(
        key: "connect_address", readers: ConfigSchema.bridge,
        read: { reader, map, config in
            guard let address = reader.readConnectAddress(map, config.postgres!) else { return false }
            config.postgres!.connectAddress = address
            return true
        },
        write: { config, out in out.string("connect_address", config.postgres!.connectAddress.description) })

    /// `postgres.socket_dir`: a directory; absent, the node's `run_dir`.
    static let postgresSocketDir = ConfigSetting(
        key: "socket_dir", readers: ConfigSchema.bridge,
        read: { reader, map, config in
            let directory: String?
            if map.value("socket_dir") != nil {
                directory = reader.path("socket_dir", in: map)
            } else {
                directory = reader.isValid("run_dir") ? config.runDir : nil
            }
            guard let directory else { return false }
            config.postgres!.socketDir = directory
            return true
        },
        write: { config, out in out.string("socket_dir", config.postgres!.socketDir) })

    /// `postgres.superuser` or `postgres.replication`: `user` (default `defaultUser`) and either
    /// `password` or `password_file`.
    static func postgresRole(
        _ key: String, _ field: WritableKeyPath<NodeConfig, PostgresRoleSettings> & Sendable, defaultUser: String
    ) -> ConfigSetting {
        ConfigSetting(
            key: key, readers: ConfigSchema.bridge,
            read: { reader, map, config in
                guard let role = reader.readRole(key, in: map, defaultUser: defaultUser) else { return false }
                config[keyPath: field] = role
                return true
            },
            write: { config, out in
                let role = config[keyPath: field]
                out.section(key) { out in
                    out.string("user", role.user)
                    switch role.password {
                    case nil: out.comment("no password")
                    case .value(let secret): out.secret("password", secret)
                    case .file(let path): out.string("password_file", path)
                    case .unavailable(let source, let reason): out.notShown("password", source: source, note: "not available: \(reason)")
                    }
                }
            })
    }

    /// `postgres.parameters`: parameter names to scalar values, none that pgraft owns.
    static let postgresParameters = ConfigSetting(
        key: "parameters", readers: ConfigSchema.bridge,
        read: { reader, map, config in
            guard let parameters = reader.readParameters(map) else { return false }
            config.postgres!.parameters = parameters
            return true
        },
        write: { config, out in
            let parameters = config.postgres!.parameters
            guard !parameters.isEmpty else { return out.raw("parameters", "{}") }
            out.section("parameters") { out in
                for name in parameters.keys.sorted() { out.string(ConfigYAMLWriter.quoted(name), parameters[name]!) }
            }
        })

    /// `postgres.pg_hba`: a list of `pg_hba.conf` lines.
    static let postgresHba = ConfigSetting(
        key: "pg_hba", readers: ConfigSchema.bridge,
        read: { reader, map, config in
            guard let lines = reader.readHbaLines(map) else { return false }
            config.postgres!.pgHba = lines
            return true
        },
        write: { config, out in out.raw("pg_hba", ConfigYAMLWriter.quotedList(config.postgres!.pgHba)) })
}

extension ConfigReader {
    /// The keys of `postgres.superuser` and `postgres.replication`.
    static let roleKeys = ["user", "password", "password_file"]

    fileprivate mutating func readConnectAddress(_ map: ConfigMapping, _ postgres: PostgresSettings) -> NetworkAddress? {
        let label = map.label("connect_address")
        guard let node = map.value("connect_address") else {
            guard isValid("postgres.listen_address", "postgres.port") else { return nil }
            if ConfigReader.wildcardAddresses.contains(postgres.listenAddress) {
                error(
                    map.mark("listen_address"),
                    "\(label): required when postgres.listen_address is \(ConfigYAMLWriter.quoted(postgres.listenAddress)), which is no address the other members can reach; give connect_address: \"host:port\"")
                return nil
            }
            return NetworkAddress(host: postgres.listenAddress, port: postgres.port)
        }
        let kind = ConfigValueKind(node)
        guard let text = kind.scalarText, case .string = kind else {
            error(node.position, "\(label): expected a string \"host:port\", got \(kind.description)")
            return nil
        }
        switch ConfigSyntax.parseAddress(text) {
        case .success(let address):
            if ConfigReader.wildcardAddresses.contains(address.host) {
                error(node.position, "\(label): \(ConfigYAMLWriter.quoted(address.host)) is a wildcard, not an address the other members can reach")
                return nil
            }
            return NetworkAddress(host: address.host, port: address.port)
        case .failure(.format):
            error(node.position, "\(label): expected \"host:port\" (IPv6 as \"[::1]:5432\"), got \(ConfigYAMLWriter.quoted(text))")
        case .failure(.port(let port)):
            error(node.position, "\(label): port \(port) is out of range 1–65535")
        }
        return nil
    }

    fileprivate mutating func readRole(_ key: String, in map: ConfigMapping, defaultUser: String) -> PostgresRoleSettings? {
        let label = map.label(key)
        let entry = map.entry(key)
        if let value = entry?.value {
            let kind = ConfigValueKind(value)
            if kind != .mapping && kind != .null {
                // Not the value: a password written here by mistake must not be shown.
                error(value.position, "\(label): expected a mapping {user, password or password_file}, got \(kind.kindName)")
                return nil
            }
        }
        guard
            let role = ConfigMapping(
                entry?.value, path: label, anchor: entry?.keyMark ?? map.anchor, knownKeys: ConfigReader.roleKeys, reader: &self)
        else { return nil }
        let user = string("user", in: role, default: defaultUser, validate: ConfigSyntax.roleNameProblem)
        var password: PostgresPassword?? = .some(nil)
        let given = role.entries.filter { $0.key == "password" || $0.key == "password_file" }
        if given.count == 2 {
            error(given[1].value.position, "\(label): give either password or password_file, not both")
            password = nil
        } else if let entry = given.first, entry.key == "password" {
            password = readPassword(entry.value, label: role.label("password"), role: key)
        } else if given.first != nil {
            password = path("password_file", in: role, expected: "a file path").map { .file($0) }
        }
        guard let user, let password else { return nil }
        return PostgresRoleSettings(user: user, password: password)
    }

    /// The password in `node` (never shown in a message); a scalar tagged `!not-shown` is the path of
    /// the file that sets it (the effective YAML's form), read from there.
    private mutating func readPassword(_ node: YAMLNode, label: String, role: String) -> PostgresPassword? {
        if case .scalar(let path, _, let tag) = node.content, tag == ConfigYAMLWriter.notShownTag {
            return ConfigReader.notShownPassword(from: path, role: role, baseDirectory: baseDirectory)
        }
        let kind = ConfigValueKind(node)
        guard let text = kind.scalarText else {
            error(node.position, "\(label): expected a password (a string), got \(kind.kindName)")
            return nil
        }
        if let problem = ConfigReader.passwordProblem(text) {
            error(node.position, "\(label): \(problem)")
            return nil
        }
        return .value(PostgresSecret(text, source: sourcePath ?? ""))
    }

    /// What is wrong with a password, in words that do not show it; nil when it is fine.
    private static func passwordProblem(_ text: String) -> String? {
        if text.isEmpty { return "the password is empty; leave password out for a role without one" }
        if text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
            return "a password cannot contain a line break or a NUL character"
        }
        return nil
    }

    /// The password `postgres.<role>.password` of the configuration file at `path`, for a password
    /// the YAML being read does not show; `.unavailable` with the reason when that file does not give
    /// one (it is not an error of the YAML being read: see `PostgresPassword.unavailable`).
    private static func notShownPassword(from path: String, role: String, baseDirectory: String) -> PostgresPassword {
        guard !path.isEmpty else {
            return .unavailable(source: "", reason: "the file that sets it is unknown (the configuration was not read from a file)")
        }
        let source = ConfigPath.absolute(path, base: baseDirectory)
        let text: String
        switch NodeConfig.readFile(source) {
        case .success(let contents): text = contents
        case .failure(let failure): return .unavailable(source: source, reason: failure.message)
        }
        let (root, problems) = YAMLComposer.compose(text)
        guard problems.isEmpty, let root else {
            let line = problems.first?.position.map { " (line \($0.line))" } ?? ""
            return .unavailable(source: source, reason: "the file is not valid YAML\(line)")
        }
        guard let node = scalarNode(at: ["postgres", role, "password"], in: root), case .scalar(_, _, let tag) = node.content,
            tag != ConfigYAMLWriter.notShownTag, let password = ConfigValueKind(node).scalarText, passwordProblem(password) == nil
        else {
            return .unavailable(source: source, reason: "the file sets no valid postgres.\(role).password")
        }
        return .value(PostgresSecret(password, source: source))
    }

    /// The node at the path of mapping keys `keys` below `root`, nil when there is none.
    private static func scalarNode(at keys: [String], in root: YAMLNode) -> YAMLNode? {
        var node = root
        for key in keys {
            guard case .mapping(let pairs) = node.content,
                let pair = pairs.first(where: { ConfigValueKind($0.key).scalarText == key })
            else { return nil }
            node = pair.value
        }
        return node
    }

    fileprivate mutating func readParameters(_ map: ConfigMapping) -> [String: String]? {
        guard let entry = map.entry("parameters") else { return [:] }
        guard
            let section = ConfigMapping(entry.value, path: map.label("parameters"), anchor: entry.keyMark, knownKeys: nil, reader: &self)
        else { return nil }
        var parameters: [String: String] = [:]
        var first: [String: (name: String, line: Int)] = [:]
        var valid = true
        for parameter in section.entries {
            let name = parameter.key
            let label = section.label(name)
            if !PostgresParameters.isValidName(name) {
                error(parameter.keyMark, "\(label): not a PostgreSQL parameter name; expected letters, digits, '_' and '.'")
                valid = false
                continue
            }
            if PostgresParameters.isOwned(name) {
                let reason = PostgresParameters.ownedReasons[name.lowercased()].map { " (\($0))" } ?? ""
                error(parameter.keyMark, "\(label): pgraft sets \(name) itself\(reason); it cannot be set in postgres.parameters")
                valid = false
                continue
            }
            if let earlier = first[name.lowercased()] {
                error(parameter.keyMark, "\(label): the same parameter as \(earlier.name) (line \(earlier.line)); parameter names ignore case")
                valid = false
                continue
            }
            first[name.lowercased()] = (name, parameter.keyMark.line)
            let kind = ConfigValueKind(parameter.value)
            guard let text = kind.scalarText else {
                error(parameter.value.position, "\(label): expected a string, number or boolean, got \(kind.description)")
                valid = false
                continue
            }
            if text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
                error(parameter.value.position, "\(label): a parameter's value cannot contain a line break or a NUL character")
                valid = false
                continue
            }
            parameters[name] = text
        }
        return valid ? parameters : nil
    }

    fileprivate mutating func readHbaLines(_ map: ConfigMapping) -> [String]? {
        let label = map.label("pg_hba")
        guard let node = map.value("pg_hba"), ConfigValueKind(node) != .null else { return [] }
        guard case .sequence(let items) = node.content else {
            error(node.position, "\(label): expected a list of pg_hba.conf lines, got \(ConfigValueKind(node).description)")
            return nil
        }
        var lines: [String] = []
        var valid = true
        for (index, item) in items.enumerated() {
            let kind = ConfigValueKind(item)
            guard let text = kind.scalarText else {
                error(item.position, "\(label)[\(index)]: expected a pg_hba.conf line (a string), got \(kind.description)")
                valid = false
                continue
            }
            if text.allSatisfy(\.isWhitespace) {
                error(item.position, "\(label)[\(index)]: an empty line; expected a record such as \"host all all 10.0.0.0/8 scram-sha-256\"")
                valid = false
            } else if text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
                error(item.position, "\(label)[\(index)]: a line cannot contain a line break or a NUL character; give each record as an item of its own")
                valid = false
            } else {
                lines.append(text)
            }
        }
        return valid ? lines : nil
    }

    /// The rules between the postgres section and the rest: its port against the node's two
    /// listeners, its data directory apart from the node's, its socket path's length, two roles.
    mutating func crossCheckPostgres(_ config: NodeConfig, top: ConfigMapping, sections: [String: ConfigMapping]) {
        guard let postgres = config.postgres, let section = sections["postgres"] else { return }
        if isValid("postgres.listen_address", "postgres.port") {
            var listeners: [(key: String, address: String, port: Int, map: ConfigMapping?)] = []
            if isValid("listen_address", "listen_port") {
                listeners.append(("listen_port", config.listenAddress, config.listenPort, top))
            }
            if isValid("api.listen_address", "api.listen_port") {
                listeners.append(("api.listen_port", config.api.listenAddress, config.api.listenPort, sections["api"]))
            }
            for listener in listeners
            where listener.port == postgres.port && ConfigReader.addressesOverlap(listener.address, postgres.listenAddress) {
                let ownKey = String(listener.key.split(separator: ".").last!)
                let at: ConfigPosition
                if section.value("port") != nil {
                    at = section.mark("port")
                } else if let map = listener.map, map.value(ownKey) != nil {
                    at = map.mark(ownKey)
                } else {
                    at = section.anchor
                }
                let given = section.value("port") != nil ? "" : " (the default)"
                let what = listener.key == "listen_port" ? "the peer listener" : "the HTTP API"
                error(
                    at,
                    "postgres.port: \(postgres.port)\(given) is also \(listener.key) on \(listener.address); PostgreSQL and \(what) need different ports")
            }
        }
        if isValid("data_dir", "postgres.data_dir") {
            let problem: String?
            if postgres.dataDir == config.dataDir {
                problem = "is the node's data_dir"
            } else if ConfigPath.isInside(postgres.dataDir, config.dataDir) {
                problem = "is inside the node's data_dir \(ConfigYAMLWriter.quoted(config.dataDir))"
            } else if ConfigPath.isInside(config.dataDir, postgres.dataDir) {
                problem = "contains the node's data_dir \(ConfigYAMLWriter.quoted(config.dataDir))"
            } else {
                problem = nil
            }
            if let problem {
                error(
                    section.mark("data_dir"),
                    "postgres.data_dir: \(ConfigYAMLWriter.quoted(postgres.dataDir)) \(problem); the server's data directory and the Raft log must be apart (a base backup or a rewind replaces the data directory whole)")
            }
        }
        // Only a socket_dir of its own: in run_dir, "consensus.sock" is at least as long as ".s.PGSQL.<port>",
        // so run_dir's own check covers the default.
        if section.value("socket_dir") != nil, isValid("postgres.socket_dir", "postgres.port"),
            postgres.socketPath.utf8.count > ConfigSchema.maxSocketPathBytes
        {
            let socket = postgres.socketPath
            error(
                section.mark("socket_dir"),
                "postgres.socket_dir: \(ConfigYAMLWriter.quoted(postgres.socketDir)) is too long: the server's socket \(ConfigYAMLWriter.quoted(socket)) is \(socket.utf8.count) bytes, a Unix socket path allows at most \(ConfigSchema.maxSocketPathBytes)")
        }
        if isValid("postgres.superuser", "postgres.replication"), postgres.superuser.user == postgres.replication.user {
            // At the user the file gives (both default to different names, so at least one is given).
            let at = ConfigReader.userPosition(of: "replication", in: section) ?? ConfigReader.userPosition(of: "superuser", in: section)
            error(
                at ?? section.anchor,
                "postgres.replication.user: \(ConfigYAMLWriter.quoted(postgres.replication.user)) is also postgres.superuser.user; standbys stream with a role of their own")
        }
    }

    /// Where the `user` of the role mapping `role` of the postgres section is, nil when not given.
    private static func userPosition(of role: String, in section: ConfigMapping) -> ConfigPosition? {
        guard let node = section.value(role), case .mapping(let pairs) = node.content else { return nil }
        return pairs.first { ConfigValueKind($0.key).scalarText == "user" }?.value.position
    }
}

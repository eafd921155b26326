/// One setting of the configuration file, declared once in `ConfigSchema.groups`: its key, how its
/// value is read and checked (kind, default, limits), how the effective YAML writes it, and who
/// reads it. The reader, the unknown-key check, the effective YAML, the reload fingerprints and the
/// identity check all work from that table.
struct ConfigSetting: Sendable {
    /// The key inside its mapping (`peer_timeout`; `listen_port` under `api:`).
    let key: String
    /// Who reads the setting, hence what a reload that changes it does.
    let readers: ConfigReaders
    /// Reads the setting from its mapping into the configuration, its default when absent; false
    /// after recording why it is wrong or missing.
    let read: @Sendable (inout ConfigReader, ConfigMapping, inout NodeConfig) -> Bool
    /// Writes `key: value` (or `key:` and a block) as the effective YAML shows it.
    let write: @Sendable (NodeConfig, inout ConfigYAMLWriter) -> Void

    /// An integer within `range`; `fallback` nil makes it required.
    static func int(
        _ key: String, _ field: WritableKeyPath<NodeConfig, Int> & Sendable, default fallback: Int?,
        range: ClosedRange<Int>, readers: ConfigReaders
    ) -> ConfigSetting {
        value(key, field, readers: readers, read: { $0.int(key, in: $1, default: fallback, range: range) }, write: { $0.int(key, $1) })
    }

    /// `true` or `false`.
    static func bool(
        _ key: String, _ field: WritableKeyPath<NodeConfig, Bool> & Sendable, default fallback: Bool, readers: ConfigReaders
    ) -> ConfigSetting {
        value(key, field, readers: readers, read: { $0.bool(key, in: $1, default: fallback) }, write: { $0.bool(key, $1) })
    }

    /// A string that `validate` accepts (it returns what is wrong, or nil); `fallback` nil makes it required.
    static func string(
        _ key: String, _ field: WritableKeyPath<NodeConfig, String> & Sendable, default fallback: String?,
        validate: @escaping @Sendable (String) -> String? = { _ in nil }, readers: ConfigReaders
    ) -> ConfigSetting {
        value(
            key, field, readers: readers, read: { $0.string(key, in: $1, default: fallback, validate: validate) },
            write: { $0.string(key, $1) })
    }

    /// A directory, made absolute against the file's directory; `fallback` nil makes it required.
    static func directory(
        _ key: String, _ field: WritableKeyPath<NodeConfig, String> & Sendable, default fallback: String? = nil,
        readers: ConfigReaders
    ) -> ConfigSetting {
        value(key, field, readers: readers, read: { $0.path(key, in: $1, default: fallback) }, write: { $0.string(key, $1) })
    }

    /// The path of a file, made absolute against the file's directory; absent or null: none.
    static func optionalFile(
        _ key: String, _ field: WritableKeyPath<NodeConfig, String?> & Sendable, readers: ConfigReaders
    ) -> ConfigSetting {
        ConfigSetting(
            key: key, readers: readers,
            read: { reader, map, config in
                guard let node = map.value(key), ConfigValueKind(node) != .null else {
                    config[keyPath: field] = nil
                    return true
                }
                guard let path = reader.path(key, in: map, expected: "a file path") else { return false }
                config[keyPath: field] = path
                return true
            },
            write: { config, out in
                if let path = config[keyPath: field] { out.string(key, path) } else { out.raw(key, "null") }
            })
    }

    /// One of an enumeration's raw values.
    static func choice<Value: RawRepresentable & CaseIterable & Sendable>(
        _ key: String, _ field: WritableKeyPath<NodeConfig, Value> & Sendable, default fallback: Value,
        readers: ConfigReaders
    ) -> ConfigSetting where Value.RawValue == String {
        value(key, field, readers: readers, read: { $0.choice(key, in: $1, default: fallback) }, write: { $0.string(key, $1.rawValue) })
    }

    /// A setting kept in `field`: `read` returns its value from the mapping (nil after recording an
    /// error), `write` writes `key: value`.
    private static func value<Value>(
        _ key: String, _ field: WritableKeyPath<NodeConfig, Value> & Sendable, readers: ConfigReaders,
        read: @escaping @Sendable (inout ConfigReader, ConfigMapping) -> Value?,
        write: @escaping @Sendable (inout ConfigYAMLWriter, Value) -> Void
    ) -> ConfigSetting {
        ConfigSetting(
            key: key, readers: readers,
            read: { reader, map, config in
                guard let value = read(&reader, map) else { return false }
                config[keyPath: field] = value
                return true
            },
            write: { config, out in write(&out, config[keyPath: field]) })
    }
}

/// Who reads a setting, hence what a reload that changes it does.
enum ConfigReaders: Sendable, Equatable {
    /// It names the node (segment, sockets, identity towards peers): a reload that changes it is refused.
    case identity
    /// These built-in components read it: a reload that changes it restarts them. With none, only
    /// pgraftd reads it and applies a change itself (restart policy, log rotation).
    case components([String])
    /// Every component reads it (the component runtime does): a change restarts them all, the
    /// operator's components too.
    case everyComponent
    /// Each component reads its own entry (`components`): a change restarts the components whose entry changed.
    case ownEntry

    /// Only pgraftd reads it.
    static let supervisor = ConfigReaders.components([])

    /// Whether `component` reads the setting besides its own entry.
    func includes(_ component: String) -> Bool {
        switch self {
        case .identity, .ownEntry: return false
        case .everyComponent: return true
        case .components(let names): return names.contains(component)
        }
    }
}

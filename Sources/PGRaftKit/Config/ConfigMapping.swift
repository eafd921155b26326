/// One YAML mapping of the configuration, with its keys checked once: non-string keys and unknown
/// keys (with a "did you mean" suggestion) are reported when it is made. (Repeated keys never get
/// here: the composer refuses them.)
struct ConfigMapping {
    /// One `key: value` pair.
    struct Entry {
        let key: String
        let keyMark: ConfigPosition
        let value: YAMLNode
    }

    /// The dotted path of the mapping (`""` for the top level, `api`, `members[0]`, …).
    let path: String
    /// Where a missing required key of this mapping is reported.
    let anchor: ConfigPosition
    /// The pairs in file order, without duplicates and unknown keys.
    private(set) var entries: [Entry] = []

    /// Reads `node` (a mapping, or null for an empty one). `knownKeys` nil accepts any key
    /// (for maps of names such as `components` and `env`). Returns nil after reporting a wrong type.
    init?(
        _ node: YAMLNode?, path: String, anchor: ConfigPosition, knownKeys: [String]?,
        reader: inout ConfigReader
    ) {
        self.path = path
        self.anchor = anchor
        guard let node else { return }
        guard case .mapping(let pairs) = node.content else {
            let kind = ConfigValueKind(node)
            if kind == .null { return }
            reader.error(node.position, "\(path.isEmpty ? "the top level" : path): expected a mapping, got \(kind.description)")
            return nil
        }
        for (keyNode, value) in pairs {
            let keyMark = keyNode.position
            guard let key = ConfigValueKind(keyNode).scalarText else {
                reader.error(keyMark, "\(prefix)expected a key name, got \(ConfigValueKind(keyNode).description)")
                continue
            }
            if let knownKeys, !knownKeys.contains(key) {
                reader.error(keyMark, "\(prefix)" + ConfigKeySuggestion.unknownKeyMessage(key, known: knownKeys))
                continue
            }
            entries.append(Entry(key: key, keyMark: keyMark, value: value))
        }
    }

    /// `"path: "`, or nothing at the top level: the start of messages about this mapping itself.
    var prefix: String {
        path.isEmpty ? "" : path + ": "
    }

    /// The full dotted name of `key` in this mapping, for messages.
    func label(_ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    /// The entry for `key`, if present.
    func entry(_ key: String) -> Entry? {
        entries.first { $0.key == key }
    }

    /// The value of `key`, if present.
    func value(_ key: String) -> YAMLNode? {
        entry(key)?.value
    }

    /// Where an error about `key`'s value belongs: the value if present, else the mapping's anchor.
    func mark(_ key: String) -> ConfigPosition {
        guard let entry = entry(key) else { return anchor }
        return entry.value.position
    }
}

/// Reads typed values out of composed YAML nodes and collects every error with its position,
/// so one pass over a file reports all its problems.
struct ConfigReader {
    /// The file name errors carry.
    let file: String
    /// The absolute directory relative paths are resolved against.
    let baseDirectory: String
    /// The absolute path of the file being read, which a password written in it records as its
    /// source; nil for text that is not from a file.
    var sourcePath: String?
    /// The errors found so far, in the order found.
    private(set) var errors: [ConfigError] = []
    /// The dotted keys of the settings that could not be read (wrong or missing), so that checks
    /// between settings skip them.
    var invalidSettings: Set<String> = []

    init(file: String, baseDirectory: String) {
        self.file = file
        self.baseDirectory = baseDirectory
    }

    /// Records an error at `mark` (at 1:1 when the node has no mark).
    mutating func error(_ mark: ConfigPosition?, _ message: String) {
        errors.append(ConfigError(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message))
    }

    /// Records an error without a position.
    mutating func errorWithoutPosition(_ message: String) {
        errors.append(ConfigError(file: file, line: 0, column: 0, message: message))
    }

    /// Reports that the required `key` of `mapping` is missing.
    mutating func missing(_ key: String, in mapping: ConfigMapping, note: String = "") {
        error(mapping.anchor, "\(mapping.prefix)missing required key '\(key)'\(note)")
    }

    /// The integer `key` of `mapping` within `range`; `fallback` when absent (nil: required).
    /// Returns nil after reporting an error.
    mutating func int(
        _ key: String, in mapping: ConfigMapping, default fallback: Int?, range: ClosedRange<Int>
    ) -> Int? {
        guard let node = mapping.value(key) else {
            if fallback == nil { missing(key, in: mapping) }
            return fallback
        }
        return int(node, label: mapping.label(key), range: range)
    }

    /// The integer in `node` within `range`, reported under `label`.
    mutating func int(_ node: YAMLNode, label: String, range: ClosedRange<Int>) -> Int? {
        let kind = ConfigValueKind(node)
        guard case .int(let value, let text) = kind else {
            error(node.position, "\(label): expected an integer, got \(kind.description)")
            return nil
        }
        guard let value, range.contains(value) else {
            error(node.position, "\(label): \(text) is out of range" + ConfigReader.rangeText(range))
            return nil
        }
        return value
    }

    /// ` 1–65535`, or `; expected at least 1` when the range has no practical upper bound.
    static func rangeText(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max
            ? "; expected at least \(range.lowerBound)" : " \(range.lowerBound)–\(range.upperBound)"
    }

    /// The boolean `key` of `mapping`; `fallback` when absent. Only `true` and `false` are booleans.
    mutating func bool(_ key: String, in mapping: ConfigMapping, default fallback: Bool) -> Bool? {
        guard let node = mapping.value(key) else { return fallback }
        let kind = ConfigValueKind(node)
        guard case .bool(let value) = kind else {
            error(node.position, "\(mapping.label(key)): expected true or false, got \(kind.description)")
            return nil
        }
        return value
    }

    /// The string `key` of `mapping`; `fallback` when absent (nil: required). Any non-null scalar
    /// counts as its text. `validate` returns what is wrong with a value, or nil when it is fine.
    mutating func string(
        _ key: String, in mapping: ConfigMapping, default fallback: String?,
        validate: (String) -> String? = { _ in nil }
    ) -> String? {
        guard let node = mapping.value(key) else {
            if fallback == nil { missing(key, in: mapping) }
            return fallback
        }
        return string(node, label: mapping.label(key), validate: validate)
    }

    /// The string in `node`, reported under `label`.
    mutating func string(
        _ node: YAMLNode, label: String, validate: (String) -> String? = { _ in nil }
    ) -> String? {
        let kind = ConfigValueKind(node)
        guard let text = kind.scalarText else {
            error(node.position, "\(label): expected a string, got \(kind.description)")
            return nil
        }
        if let problem = validate(text) {
            error(node.position, "\(label): \(problem)")
            return nil
        }
        return text
    }

    /// The enumeration value `key` of `mapping`, by raw value; `fallback` when absent.
    mutating func choice<Value: RawRepresentable & CaseIterable>(
        _ key: String, in mapping: ConfigMapping, default fallback: Value
    ) -> Value? where Value.RawValue == String {
        guard let node = mapping.value(key) else { return fallback }
        let allowed = Value.allCases.map(\.rawValue)
        let kind = ConfigValueKind(node)
        guard let text = kind.scalarText, let value = Value(rawValue: text) else {
            error(node.position, "\(mapping.label(key)): expected one of \(allowed.joined(separator: ", ")); got \(kind.description)")
            return nil
        }
        return value
    }

    /// The path `key` of `mapping` (of a directory, or of what `expected` says), made absolute
    /// against the base directory and normalized; `fallback` when absent (nil: required).
    mutating func path(
        _ key: String, in mapping: ConfigMapping, default fallback: String? = nil, expected: String = "a directory path"
    ) -> String? {
        if fallback != nil, mapping.value(key) == nil { return fallback }
        return string(key, in: mapping, default: nil) { text in
            if text.isEmpty { return "expected \(expected), got an empty string" }
            if text.contains("\0") { return "a path cannot contain a NUL character" }
            return nil
        }.map { ConfigPath.absolute($0, base: baseDirectory) }
    }

    /// The nested mapping `key` of `mapping` (absent or null: empty), with its known keys.
    mutating func section(_ key: String, in mapping: ConfigMapping, knownKeys: [String]?) -> ConfigMapping? {
        let entry = mapping.entry(key)
        return ConfigMapping(
            entry?.value, path: mapping.label(key), anchor: entry?.keyMark ?? mapping.anchor,
            knownKeys: knownKeys, reader: &self)
    }
}

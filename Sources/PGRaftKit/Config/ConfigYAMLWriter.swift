/// Builds YAML text line by line with every string double-quoted, so no value can be
/// misread (`"on"`, `"123"`, `"null"` stay strings) and the output parses back exactly.
struct ConfigYAMLWriter {
    /// How a password written in the configuration file (`PostgresSecret`) is written.
    enum SecretForm {
        /// The effective YAML: `!not-shown "<the file it is in>"`, which a reader resolves from that file.
        case notShown
        /// The reload fingerprints: a digest that changes with the password (`PostgresSecret.digest`).
        case digest
    }

    /// How this writer writes passwords.
    let secretForm: SecretForm
    private(set) var lines: [String] = []
    private var indent = 0

    /// An empty document whose passwords are written in `secretForm`.
    init(secretForm: SecretForm = .notShown) {
        self.secretForm = secretForm
    }

    /// Appends a comment line.
    mutating func comment(_ text: String) {
        lines.append(prefix + "# " + text)
    }

    /// Appends `key: value`, the value already rendered as YAML.
    mutating func raw(_ key: String, _ value: String) {
        lines.append(prefix + key + ": " + value)
    }

    /// Appends `key: "value"`.
    mutating func string(_ key: String, _ value: String) {
        raw(key, ConfigYAMLWriter.quoted(value))
    }

    /// Appends `key: 123`.
    mutating func int(_ key: String, _ value: Int) {
        raw(key, String(value))
    }

    /// Appends `key: true` or `key: false`.
    mutating func bool(_ key: String, _ value: Bool) {
        raw(key, value ? "true" : "false")
    }

    /// Appends `key: <the password, as secretForm says>` (only the digest form depends on the password).
    mutating func secret(_ key: String, _ secret: PostgresSecret) {
        switch secretForm {
        case .notShown: notShown(key, source: secret.source, note: "set in that file, not shown")
        case .digest: raw(key, "digest " + secret.digest)
        }
    }

    /// Appends `key: !not-shown "source"  # note`: a password the YAML names the file of.
    mutating func notShown(_ key: String, source: String, note: String) {
        raw(key, ConfigYAMLWriter.notShownTag + " " + ConfigYAMLWriter.quoted(source) + "  # " + note)
    }

    /// The tag of a password the YAML does not show; its scalar is the path of the file that sets it.
    static let notShownTag = "!not-shown"

    /// Appends `key:` and writes `body` indented below it.
    mutating func section(_ key: String, _ body: (inout ConfigYAMLWriter) -> Void) {
        lines.append(prefix + key + ":")
        indent += 2
        body(&self)
        indent -= 2
    }

    /// Appends `- ` followed by a mapping written by `body`.
    mutating func item(_ body: (inout ConfigYAMLWriter) -> Void) {
        var inner = ConfigYAMLWriter(secretForm: secretForm)
        body(&inner)
        for (index, line) in inner.lines.enumerated() {
            lines.append(prefix + (index == 0 ? "- " : "  ") + line)
        }
    }

    /// The document, one line per entry, ending with a newline.
    var text: String {
        lines.joined(separator: "\n") + "\n"
    }

    private var prefix: String {
        String(repeating: " ", count: indent)
    }

    /// `text` as a YAML double-quoted scalar, with JSON-compatible escapes.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// `values` as a YAML flow sequence of double-quoted strings.
    static func quotedList(_ values: [String]) -> String {
        "[" + values.map(quoted).joined(separator: ", ") + "]"
    }
}

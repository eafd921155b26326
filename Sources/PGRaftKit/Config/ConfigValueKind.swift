/// What a YAML node holds, classified by this project's strict rules rather than YAML 1.1's:
/// only `true`/`false` are booleans, only plain decimal digits are integers, and a quoted
/// scalar is always a string.
enum ConfigValueKind: Equatable {
    /// `~`, `null` or nothing.
    case null
    /// Plain `true` or `false`.
    case bool(Bool)
    /// Plain decimal digits with an optional sign; `value` is nil when it does not fit an `Int`.
    case int(value: Int?, text: String)
    /// A plain number with a fraction or exponent, or `.inf`/`.nan`.
    case float(String)
    /// Any other scalar.
    case string(String)
    /// A mapping.
    case mapping
    /// A sequence.
    case sequence

    /// Classifies `node`.
    init(_ node: YAMLNode) {
        switch node.content {
        case .mapping:
            self = .mapping
        case .sequence:
            self = .sequence
        case .scalar(let text, let isPlain, let tag):
            self = ConfigValueKind(scalar: text, isPlain: isPlain, tag: tag)
        }
    }

    private init(scalar text: String, isPlain: Bool, tag: String?) {
        if !isPlain || tag == "tag:yaml.org,2002:str" {
            self = .string(text)
            return
        }
        switch text {
        case "", "~", "null", "Null", "NULL":
            self = .null
        case "true":
            self = .bool(true)
        case "false":
            self = .bool(false)
        default:
            if ConfigValueKind.isDecimalInteger(text) {
                self = .int(value: Int(text.hasPrefix("+") ? String(text.dropFirst()) : text), text: text)
            } else if ConfigValueKind.isFloat(text) {
                self = .float(text)
            } else {
                self = .string(text)
            }
        }
    }

    /// How an error message names the value: `string "abc"`, `integer 5`, `a mapping`, ….
    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "boolean \(value)"
        case .int(_, let text): return "integer \(text)"
        case .float(let text): return "float \(text)"
        case .string(let text): return "string \(ConfigYAMLWriter.quoted(text))"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// The kind alone (`a string`, `an integer`, …), for a value that must not be shown: a password
    /// given where something else belongs.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .float: return "a float"
        case .string: return "a string"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// The scalar's text when it is a non-null scalar, whatever its kind.
    var scalarText: String? {
        switch self {
        case .bool(let value): return value ? "true" : "false"
        case .int(_, let text), .float(let text), .string(let text): return text
        case .null, .mapping, .sequence: return nil
        }
    }

    static func isDecimalInteger(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func isFloat(_ text: String) -> Bool {
        let lowered = text.lowercased()
        if [".inf", "+.inf", "-.inf", ".nan"].contains(lowered) { return true }
        var rest = Substring(lowered)
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        var mantissa = rest
        var exponent: Substring?
        if let index = rest.firstIndex(of: "e") {
            mantissa = rest[..<index]
            exponent = rest[rest.index(after: index)...]
        }
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let isDigits: (Substring) -> Bool = { $0.allSatisfy { $0.isASCII && $0.isNumber } }
        guard parts.allSatisfy(isDigits), parts.contains(where: { !$0.isEmpty }) else { return false }
        guard parts.count == 2 || exponent != nil else { return false }
        if var exponent {
            if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
            return !exponent.isEmpty && isDigits(exponent)
        }
        return true
    }
}

/// Builds a JSON object by hand, for the answers on the hot paths (kv put and get) where
/// `JSONEncoder`'s reflection and boxing would cost more than the request itself.
///
/// Keys are written in the order they are added; strings are escaped as RFC 8259 requires.
public struct JSONText: Sendable {
    /// The bytes written so far (an open object until `finish()`).
    public private(set) var bytes: [UInt8]
    private var first = true

    /// Starts an object, reserving `capacity` bytes.
    public init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Adds `"key": "value"`.
    public mutating func string(_ key: String, _ value: String) {
        self.key(key)
        Self.appendQuoted(value, to: &bytes)
    }

    /// Adds `"key": value` for an unsigned integer.
    public mutating func number(_ key: String, _ value: UInt64) {
        self.key(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Adds `"key": true|false`.
    public mutating func bool(_ key: String, _ value: Bool) {
        self.key(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// Adds `"key": null`.
    public mutating func null(_ key: String) {
        self.key(key)
        bytes.append(contentsOf: "null".utf8)
    }

    /// Adds `"key": <raw>`, where `raw` is already valid JSON (a nested object or array).
    public mutating func raw(_ key: String, _ raw: [UInt8]) {
        self.key(key)
        bytes.append(contentsOf: raw)
    }

    /// Closes the object and ends it with a newline, as every API answer does.
    public mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    private mutating func key(_ key: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        Self.appendQuoted(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends `value` as a JSON string literal.
    public static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// One HTTP request as the router sees it: method, the raw target split into path and query, body.
public struct APIRequest: Sendable {
    /// The method, e.g. "GET".
    public var method: String
    /// The path as sent (still percent-encoded), e.g. "/v1/kv/a%2Fb".
    public var rawPath: String
    /// The query string after "?", still percent-encoded; empty when absent.
    public var rawQuery: String
    /// The body bytes.
    public var body: [UInt8]
    /// The `Authorization` header's value, if any; never logged.
    public var authorization: String?
    /// Whether the connection presented a client certificate that TLS verified against `api.tls.ca_file`.
    public var certified: Bool

    /// A request for `uri` ("/path?query").
    public init(method: String, uri: String, body: [UInt8] = [], authorization: String? = nil, certified: Bool = false) {
        self.method = method
        self.authorization = authorization
        self.certified = certified
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        rawPath = String(parts.first ?? "")
        rawQuery = parts.count > 1 ? String(parts[1]) : ""
        self.body = body
    }

    /// The query parameters, percent-decoded ("+" stays a plus sign: keys may contain it).
    ///
    /// - Throws: `APIInputError` for a malformed escape, a repeated parameter, or one not in `allowed`.
    public func query(allowed: [String]) throws(APIInputError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in rawQuery.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try PercentDecoding.decode(parts[0], what: "query parameter name")
            guard allowed.contains(name) else {
                let known = allowed.isEmpty ? "it takes none" : "known: " + allowed.joined(separator: ", ")
                throw APIInputError("unknown query parameter \"\(name)\" on \(rawPath); \(known)")
            }
            guard result[name] == nil else { throw APIInputError("query parameter \"\(name)\" is given twice") }
            result[name] = parts.count > 1 ? try PercentDecoding.decode(parts[1], what: "query parameter \(name)") : ""
        }
        return result
    }

    /// Whether the query asks for a local, possibly stale read (`stale=true`); false when absent.
    ///
    /// - Throws: `APIInputError` when `stale` is anything but `true`, `false` or empty.
    public static func staleFlag(_ query: [String: String]) throws(APIInputError) -> Bool {
        switch query["stale"] {
        case nil, "false": return false
        case "true", "": return true
        case let other?: throw APIInputError("query parameter stale must be true or false, not \"\(other)\"")
        }
    }
}

/// A client error in a request (path, query or body), answered with 400 and this message.
public struct APIInputError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and where.
    public var description: String
    /// The status to answer with (400 unless said otherwise, e.g. 413).
    public var status: Int

    /// An error saying `description`.
    public init(_ description: String, status: Int = 400) {
        self.description = description
        self.status = status
    }
}

/// Percent-decoding of path segments and query values (RFC 3986), strict about malformed escapes.
public enum PercentDecoding {
    /// `text` with every `%XX` replaced by its byte, the result read as UTF-8.
    ///
    /// - Parameter what: names the part being decoded in the error ("key", "query parameter prefix").
    /// - Throws: `APIInputError` naming the offset of a malformed escape, or saying the bytes are not UTF-8.
    public static func decode(_ text: some StringProtocol, what: String) throws(APIInputError) -> String {
        let utf8 = Array(text.utf8)
        guard utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "%") {
                guard i + 2 < utf8.count, let high = hex(utf8[i + 1]), let low = hex(utf8[i + 2]) else {
                    let escape = String(decoding: utf8[i..<min(i + 3, utf8.count)], as: UTF8.self)
                    throw APIInputError("malformed percent escape \"\(escape)\" at offset \(i) of the \(what)")
                }
                bytes.append(high << 4 | low)
                i += 3
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw APIInputError("the \(what) is not valid UTF-8 once percent-decoded")
        }
        return decoded
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

import Foundation

/// An HTTP answer: status, body, content type and extra headers.
public struct APIResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The body bytes.
    public var body: [UInt8]
    /// The `Content-Type` header.
    public var contentType: String = "application/json"
    /// Headers besides `Content-Type`, `Content-Length` and `Connection`.
    public var headers: [(String, String)] = []

    /// An answer with explicit parts.
    public init(status: Int, body: [UInt8], contentType: String = "application/json", headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.contentType = contentType
        self.headers = headers
    }

    /// `value` encoded with `JSONEncoder` (sorted keys), for the answers that are not on a hot path.
    public static func json<T: Encodable>(_ status: Int, _ value: T) -> APIResponse {
        do {
            return APIResponse(status: status, body: Array(try APIJSON.encode(value)) + [UInt8(ascii: "\n")])
        } catch {
            return .error(500, "cannot encode the answer: \(error)")
        }
    }

    /// `{"error": message}` with `status`.
    public static func error(_ status: Int, _ message: String) -> APIResponse {
        var json = JSONText()
        json.string("error", message)
        return APIResponse(status: status, body: json.finish())
    }
}

/// The JSON encoding every JSONEncoder-built answer (and `pgraftctl ... --json`) uses.
public enum APIJSON {
    /// Encodes `value` with sorted keys and unescaped slashes.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

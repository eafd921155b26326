import PGRaftKit

/// Shorthands for tests against a node's API on 127.0.0.1, over ``BlockingHTTPClient``: the body as
/// text, and any failure to get an answer thrown as the test's error.
public enum HTTP {
    /// A response: status code, headers as sent (lower-cased names), body.
    public struct Response: Sendable {
        /// The status code.
        public var status: Int
        /// Header lines, names lower-cased.
        public var headers: [String: String]
        /// The body as text.
        public var body: String
    }

    /// Sends `GET path` to 127.0.0.1:`port`.
    public static func get(port: Int, path: String) throws -> Response {
        try request(port: port, method: "GET", path: path)
    }

    /// Sends one request with `Connection: close` and reads the whole response.
    public static func request(port: Int, method: String, path: String, body: String = "") throws -> Response {
        let response = try BlockingHTTPClient(host: "127.0.0.1", port: port, timeoutSeconds: 10)
            .request(method, path, body: Array(body.utf8))
        return Response(status: response.status, headers: response.headers, body: String(decoding: response.body, as: UTF8.self))
    }
}

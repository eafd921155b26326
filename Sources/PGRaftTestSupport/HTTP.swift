import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A minimal blocking HTTP/1.1 client for tests against 127.0.0.1.
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
        let connection = try LoopbackConnection(port: port)
        let text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        try connection.send(Array(text.utf8))
        let received = connection.readUntilClosed().bytes
        let response = String(decoding: received, as: UTF8.self)
        guard let split = response.range(of: "\r\n\r\n") else { throw SystemError("incomplete HTTP response", code: EPROTO) }
        let lines = response[..<split.lowerBound].split(separator: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: String(response[split.upperBound...]))
    }
}

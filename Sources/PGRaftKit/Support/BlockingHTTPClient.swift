import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The one blocking HTTP/1.1 client of pgraft (`pgraftctl`, the benchmarks, the tests): one request
/// per connection (`Connection: close`) for talking to a node's API; `open()` gives a keep-alive
/// connection for load generators (`pgraft-bench kv`).
public struct BlockingHTTPClient: Sendable {
    /// The host to connect to (a name or an IP literal, no brackets).
    public let host: String
    /// The TCP port.
    public let port: Int
    /// Seconds to wait for connecting, sending and each read.
    public let timeoutSeconds: Int

    /// A response.
    public struct Response: Sendable, Equatable {
        /// The status code.
        public var status: Int
        /// Headers, names lower-cased.
        public var headers: [String: String]
        /// The body.
        public var body: [UInt8]
    }

    /// Why a request got no response.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Nothing listens there (connection refused), or the host cannot be resolved or reached.
        case unreachable(String)
        /// The connection broke, timed out, or the answer is not HTTP.
        case broken(String)

        /// The reason.
        public var description: String {
            switch self {
            case .unreachable(let reason), .broken(let reason): return reason
            }
        }
    }

    /// A client of `host:port`.
    public init(host: String, port: Int, timeoutSeconds: Int = 60) {
        self.host = host
        self.port = port
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends `method target` with `body` and reads the whole response.
    public func request(
        _ method: String, _ target: String, body: [UInt8] = [], contentType: String? = nil, headers: [(String, String)] = []
    ) throws(Failure) -> Response {
        let socket = try connect()
        try Self.send(
            Self.requestBytes(method, target, host: host, port: port, body: body, contentType: contentType, headers: headers), on: socket)
        var received: [UInt8] = []
        while true {
            let bytes = try Self.receive(from: socket)
            if bytes.isEmpty { break }
            received += bytes
        }
        return try Self.parse(received)
    }

    /// The bytes of a one-shot request (`Connection: close`) to `host:port`.
    public static func requestBytes(
        _ method: String, _ target: String, host: String, port: Int, body: [UInt8], contentType: String? = nil, headers: [(String, String)] = []
    ) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// Parses a whole response read until the server closed (body delimited by Content-Length or the close).
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> Response {
        guard let end = bytes.firstRange(of: headEnd) else { throw .broken("the answer ended before its headers did") }
        let (status, headers) = try parseHead(bytes[..<end.lowerBound])
        var body = Array(bytes[end.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init) {
            guard body.count >= length else { throw .broken("the answer's body ended after \(body.count) of \(length) bytes") }
            body = Array(body.prefix(length))
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// The blank line that ends a response's head.
    static let headEnd: [UInt8] = [13, 10, 13, 10]

    /// The status and headers (names lower-cased) of a response head, without its blank line.
    static func parseHead(_ head: ArraySlice<UInt8>) throws(Failure) -> (status: Int, headers: [String: String]) {
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw .broken("the answer is not HTTP/1.x: \"\(lines[0].prefix(80))\"")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }

    private func connect() throws(Failure) -> BlockingSocket {
        do {
            return try BlockingSocket.connect(host: host, port: port, timeoutSeconds: timeoutSeconds)
        } catch {
            throw .unreachable(error.reason)
        }
    }

    static func send(_ bytes: [UInt8], on socket: BlockingSocket) throws(Failure) {
        do {
            try socket.send(bytes)
        } catch {
            throw .broken("sending the request failed: \(error.reason)")
        }
    }

    static func receive(from socket: BlockingSocket) throws(Failure) -> ArraySlice<UInt8> {
        do {
            return try socket.receive()
        } catch {
            throw .broken("reading the answer failed: \(error.reason)")
        }
    }
}

extension BlockingHTTPClient {
    /// Opens a keep-alive connection to the client's server.
    public func open() throws(Failure) -> Connection {
        Connection(socket: try connect())
    }

    /// A keep-alive connection: requests one after another on one socket, each response read by its
    /// `Content-Length` or its chunked encoding, so the connection stays usable for the next.
    public final class Connection {
        private let socket: BlockingSocket
        private var buffer: [UInt8] = []

        init(socket: BlockingSocket) {
            self.socket = socket
        }

        /// Sends `request` (a whole HTTP/1.1 request, without `Connection: close`) and reads its response.
        public func roundTrip(_ request: [UInt8]) throws(Failure) -> Response {
            try BlockingHTTPClient.send(request, on: socket)
            let headEnd = try readUntil(BlockingHTTPClient.headEnd)
            let (status, headers) = try BlockingHTTPClient.parseHead(buffer[..<headEnd])
            buffer.removeFirst(headEnd + 4)
            var body: [UInt8] = []
            if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
                while true {
                    let lineEnd = try readUntil([13, 10])
                    let sizeText = String(decoding: buffer[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                    guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                        throw .broken("bad chunk size \"\(sizeText)\"")
                    }
                    buffer.removeFirst(lineEnd + 2)
                    try fill(size + 2)
                    body += buffer[..<size]
                    buffer.removeFirst(size + 2)
                    if size == 0 { break }
                }
            } else {
                let length = headers["content-length"].flatMap { Int($0) } ?? 0
                try fill(length)
                body = Array(buffer[..<length])
                buffer.removeFirst(length)
            }
            return Response(status: status, headers: headers, body: body)
        }

        private func readUntil(_ marker: [UInt8]) throws(Failure) -> Int {
            while true {
                if let range = buffer.firstRange(of: marker) { return range.lowerBound }
                try readMore()
            }
        }

        private func fill(_ count: Int) throws(Failure) {
            while buffer.count < count { try readMore() }
        }

        private func readMore() throws(Failure) {
            let bytes = try BlockingHTTPClient.receive(from: socket)
            guard !bytes.isEmpty else { throw .broken("the server closed the connection") }
            buffer += bytes
        }
    }
}

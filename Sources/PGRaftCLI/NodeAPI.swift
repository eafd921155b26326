import Foundation
import PGRaftKit

/// The node's HTTP API as `pgraftctl kv` and `log` use it: where it listens, how to name a key in a
/// path, and API errors turned into operator messages.
public struct NodeAPI: Sendable {
    /// The node's id, for messages.
    public let nodeId: Int
    /// The address to connect to.
    public let host: String
    /// The port.
    public let port: Int
    /// The bearer token sent with every request: `$PGRAFT_API_TOKEN`, else the first of
    /// `api.token_file`'s when this user can read it; nil: none.
    let token: String?
    /// Where the token came from, or why `api.token_file` gave none: said when a request is refused.
    let tokenOrigin: String

    /// With `api.tls`, makes the HTTPS client: the server's certificate must chain to
    /// `$PGRAFT_API_CA`, else to the peer port's `tls.ca_file`, else to `api.tls.ca_file` (one
    /// authority signs them all when `pgraftctl cert` made them); the API's own certificate and key
    /// are presented as the client certificate when this user can read them.
    let tls: (@Sendable () throws(BlockingHTTPClient.Failure) -> TLSHTTPClient)?

    /// The API of the node configured by `config`; a wildcard listen address (0.0.0.0, ::) is
    /// reached on 127.0.0.1. `environment` may carry `PGRAFT_API_TOKEN` and `PGRAFT_API_CA`.
    public init(config: NodeConfig, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let given = environment["PGRAFT_API_TOKEN"], !given.isEmpty {
            // Printable ASCII without spaces, as api.token_file's: a line break would end the header.
            let printable = given.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
            (token, tokenOrigin) = printable
                ? (given, "pgraftctl sent $PGRAFT_API_TOKEN")
                : (nil, "pgraftctl sent no token: $PGRAFT_API_TOKEN is not printable ASCII without spaces")
        } else if let path = config.api.tokenFile {
            do {
                (token, tokenOrigin) = (try APITokens.load(path: path).first, "pgraftctl sent the first token of \(path)")
            } catch {
                (token, tokenOrigin) = (nil, "pgraftctl sent no token: \(error); set $PGRAFT_API_TOKEN, or run as a user who can read the file")
            }
        } else {
            (token, tokenOrigin) = (nil, "pgraftctl sent no token: the configuration has no api.token_file; set $PGRAFT_API_TOKEN")
        }
        nodeId = config.nodeId
        var host = config.api.listenAddress
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = ["0.0.0.0", "::", ""].contains(host) ? "127.0.0.1" : host
        port = config.api.listenPort
        if let files = config.api.tls {
            let roots = environment["PGRAFT_API_CA"] ?? config.tls?.caFile ?? files.caFile
            let (host, port) = (self.host, self.port)
            let readable = access(files.keyFile, R_OK) == 0
            tls = { () throws(BlockingHTTPClient.Failure) -> TLSHTTPClient in
                guard let roots else {
                    throw .broken("the api serves TLS, and no authority to check its certificate is known: set PGRAFT_API_CA to its CA file")
                }
                do {
                    return try TLSHTTPClient(
                        host: host, port: port, trustRoots: roots, clientCertificate: readable ? (files.certFile, files.keyFile) : nil)
                } catch {
                    throw .broken("cannot set up TLS to the api: \(error)")
                }
            }
        } else {
            tls = nil
        }
    }

    /// "host:port" as shown in messages (IPv6 in brackets).
    public var address: String { (tls == nil ? "" : "https://") + (host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)") }

    /// `key` percent-encoded for `/v1/kv/{key}`: everything but unreserved characters and "/" is escaped.
    public static func encodePath(_ key: String) -> String {
        var out = ""
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Sends a request and returns the body of a 2xx answer.
    ///
    /// - Throws: `CLIError` with the API's `error` message for any other status, or saying the api of
    ///   this node is not reachable.
    public func call(_ method: String, _ target: String, body: [UInt8] = [], client: BlockingHTTPClient? = nil) throws(CLIError) -> [UInt8] {
        let headers = token.map { [("Authorization", "Bearer \($0)")] } ?? []
        let response: BlockingHTTPClient.Response
        do {
            if let tls, client == nil {
                response = try tls().request(method, target, body: body, headers: headers)
            } else {
                response = try (client ?? BlockingHTTPClient(host: host, port: port)).request(method, target, body: body, headers: headers)
            }
        } catch .unreachable(let reason) {
            throw CLIError("the api of node \(nodeId) at \(address) is not reachable (\(reason)); is the node running?")
        } catch {
            throw CLIError("the api of node \(nodeId) at \(address): \(error)")
        }
        guard (200..<300).contains(response.status) else {
            var message = Self.errorMessage(response)
            if response.status == 401 { message += " (\(tokenOrigin))" }
            throw CLIError(message)
        }
        return response.body
    }

    /// The `error` field of an API error body, or the status and body as text.
    static func errorMessage(_ response: BlockingHTTPClient.Response) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let message = object["error"] as? String
        {
            return message
        }
        let text = String(decoding: response.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return "HTTP \(response.status)" + (text.isEmpty ? "" : ": " + text)
    }
}

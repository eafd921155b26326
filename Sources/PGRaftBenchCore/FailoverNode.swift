/// One node of the cluster `pgraft-bench pg-failover` drives: its id, the PostgreSQL server it runs
/// and the HTTP endpoint whose `GET /primary` answers 200 only while that server is the writable
/// primary (pgraft's api and Patroni's REST API both have it).
///
/// Written on the command line as `ID=PGHOST:PGPORT,http://HTTPHOST:HTTPPORT`, for example
/// `1=127.0.0.1:5432,http://127.0.0.1:8008`; an IPv6 host is bracketed (`[::1]:5432`).
public struct FailoverNode: Sendable, Equatable, Codable {
    /// The node's id: what the kill and start commands get appended. Letters, digits, `.`, `_`
    /// and `-` only, so that it is one safe shell word.
    public var id: String
    /// The PostgreSQL server's host (a name or an IP literal, no brackets).
    public var postgresHost: String
    /// The PostgreSQL server's TCP port.
    public var postgresPort: Int
    /// The HTTP endpoint's host (a name or an IP literal, no brackets).
    public var httpHost: String
    /// The HTTP endpoint's TCP port.
    public var httpPort: Int

    /// A node with these values (not checked).
    public init(id: String, postgresHost: String, postgresPort: Int, httpHost: String, httpPort: Int) {
        self.id = id
        self.postgresHost = postgresHost
        self.postgresPort = postgresPort
        self.httpHost = httpHost
        self.httpPort = httpPort
    }

    /// Parses `ID=PGHOST:PGPORT,http://HTTPHOST:HTTPPORT`; the error quotes the text and says which
    /// part is wrong.
    public init(parsing text: String) throws(FailoverOptionError) {
        func fail(_ why: String) -> FailoverOptionError { FailoverOptionError("--node '\(text)': \(why)") }
        guard let equals = text.firstIndex(of: "=") else {
            throw fail("expected ID=PGHOST:PGPORT,http://HTTPHOST:HTTPPORT")
        }
        let id = String(text[..<equals])
        guard !id.isEmpty, id.allSatisfy(Self.isIDCharacter) else {
            throw fail("the id '\(id)' must be letters, digits, '.', '_' or '-'")
        }
        let rest = text[text.index(after: equals)...]
        let parts = rest.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw fail("expected a PostgreSQL host:port, a comma, then an http:// URL") }
        let postgres: (host: String, port: Int)
        do throws(FailoverOptionError) {
            postgres = try Self.hostPort(parts[0])
        } catch {
            throw fail("PostgreSQL endpoint: \(error.message)")
        }
        var url = parts[1]
        guard url.hasPrefix("http://") else {
            throw fail(url.hasPrefix("https://") ? "https is not supported; give the http:// endpoint" : "the HTTP endpoint must start with http://")
        }
        url = url.dropFirst("http://".count)
        if let slash = url.firstIndex(of: "/") {
            guard url[slash...] == "/" else { throw fail("the HTTP endpoint takes no path (GET /primary is asked at its root)") }
            url = url[..<slash]
        }
        let http: (host: String, port: Int)
        do throws(FailoverOptionError) {
            http = try Self.hostPort(url)
        } catch {
            throw fail("HTTP endpoint: \(error.message)")
        }
        self.init(id: id, postgresHost: postgres.host, postgresPort: postgres.port, httpHost: http.host, httpPort: http.port)
    }

    /// Checks a whole `--node` list: at least two nodes (a failover needs a survivor), distinct ids,
    /// and no endpoint named twice.
    public static func validate(_ nodes: [FailoverNode]) throws(FailoverOptionError) {
        guard nodes.count >= 2 else {
            throw FailoverOptionError("give every node of the cluster with --node (at least two; got \(nodes.count))")
        }
        var ids: Set<String> = []
        var postgres: Set<String> = []
        var http: Set<String> = []
        for node in nodes {
            guard ids.insert(node.id).inserted else { throw FailoverOptionError("--node: the id '\(node.id)' is given twice") }
            guard postgres.insert(node.postgresEndpoint).inserted else {
                throw FailoverOptionError("--node: the PostgreSQL endpoint \(node.postgresEndpoint) is given twice")
            }
            guard http.insert(node.httpEndpoint).inserted else {
                throw FailoverOptionError("--node: the HTTP endpoint \(node.httpEndpoint) is given twice")
            }
        }
    }

    /// `host:port` of the PostgreSQL server, as errors and reports name it.
    public var postgresEndpoint: String { Self.join(postgresHost, postgresPort) }

    /// `host:port` of the HTTP endpoint, as errors and reports name it.
    public var httpEndpoint: String { Self.join(httpHost, httpPort) }

    private static func isIDCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-")
    }

    private static func join(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `host:port` or `[v6]:port` → host (without brackets) and port 1…65535.
    static func hostPort(_ text: Substring) throws(FailoverOptionError) -> (host: String, port: Int) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw FailoverOptionError("'\(text)' is not [IPV6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw FailoverOptionError("'\(text)' has no :PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { throw FailoverOptionError("'\(text)': bracket an IPv6 address, as in [::1]:5432") }
        }
        guard !host.isEmpty else { throw FailoverOptionError("'\(text)' has no host") }
        guard let port = Int(portText), (1...65_535).contains(port) else {
            throw FailoverOptionError("'\(text)': the port must be a number from 1 to 65535")
        }
        return (String(host), port)
    }
}

/// A command-line option of the failover trial that cannot be used, in a sentence that quotes it.
public struct FailoverOptionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public var message: String

    /// An error saying `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

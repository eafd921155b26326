/// The lexical rules of configuration values: names, hosts and `host:port` addresses.
/// Each check returns what is wrong (for the error message), or nil when the value is fine.
enum ConfigSyntax {
    /// `cluster_name`: 1–63 characters of `[A-Za-z0-9_.-]` (it becomes part of the segment's name).
    static func clusterNameProblem(_ name: String) -> String? {
        let valid = (1...63).contains(name.count)
            && name.unicodeScalars.allSatisfy { isASCIIAlphanumeric($0) || "_.-".unicodeScalars.contains($0) }
        return valid
            ? nil
            : "\(ConfigYAMLWriter.quoted(name)) is not a valid cluster name; expected 1–63 characters of A-Z, a-z, 0-9, '_', '.' and '-'"
    }

    /// A component name: `[a-z0-9_-]{1,31}` (it becomes an executable's and a log file's name).
    static func isComponentName(_ name: String) -> Bool {
        (1...31).contains(name.unicodeScalars.count)
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
            }
    }

    /// A listen address: a host name, an IPv4 address or an IPv6 address without brackets.
    static func hostProblem(_ host: String) -> String? {
        isHost(host) ? nil : "expected a host name or IP address, got \(ConfigYAMLWriter.quoted(host))"
    }

    /// `postgres.listen_address`: one host name or IP address (IPv6 without brackets), or `*` for
    /// every address.
    static func postgresListenProblem(_ host: String) -> String? {
        host == "*" || isHost(host) ? nil : "expected a host name, an IP address or *, got \(ConfigYAMLWriter.quoted(host))"
    }

    /// A PostgreSQL role name: 1–63 bytes (longer ones PostgreSQL truncates) without a line break or NUL.
    static func roleNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "expected a role name, got an empty string" }
        if name.utf8.count > 63 { return "\(ConfigYAMLWriter.quoted(name)) is longer than 63 bytes, which PostgreSQL would truncate" }
        if name.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) { return "a role name cannot contain a line break or a NUL character" }
        return nil
    }

    /// An operating-system user name: 1–32 characters, none of them white space, `:`, `/` or NUL.
    static func osUserProblem(_ name: String) -> String? {
        let valid = (1...32).contains(name.count) && !name.contains { $0.isWhitespace || $0 == ":" || $0 == "/" || $0 == "\0" }
        return valid ? nil : "\(ConfigYAMLWriter.quoted(name)) is not a user name; expected 1–32 characters without white space, ':' or '/'"
    }

    /// Whether only this machine can reach a listener on `host`: `localhost`, 127.0.0.0/8 or ::1.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Whether `host` is a host name, IPv4 literal, or IPv6 literal (without brackets, optional `%zone`).
    static func isHost(_ host: String) -> Bool {
        guard !host.isEmpty, host.unicodeScalars.count <= 253 else { return false }
        if host.contains(":") {
            let parts = host.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
            let address = parts[0]
            let zoneValid = parts.count == 1 || (!parts[1].isEmpty && parts[1].unicodeScalars.allSatisfy(isNameScalar))
            return zoneValid && address.contains(":")
                && address.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }
        }
        return host.unicodeScalars.allSatisfy(isNameScalar) && !host.hasPrefix("-") && !host.hasPrefix(".")
    }

    /// Splits `"host:port"` (IPv6 as `"[::1]:7001"`) into a host and a port in 1–65535.
    static func parseAddress(_ text: String) -> Result<(host: String, port: Int), AddressProblem> {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.format) }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), host.contains(":") else { return .failure(.format) }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(.format) }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            if host.contains(":") { return .failure(.format) }
        }
        guard isHost(String(host)), !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return .failure(.format)
        }
        guard let number = Int(port), (1...65535).contains(number) else { return .failure(.port(String(port))) }
        return .success((String(host), number))
    }

    /// Why an address did not parse.
    enum AddressProblem: Error {
        /// Not of the form `host:port`.
        case format
        /// The port is not in 1–65535.
        case port(String)
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        isASCIIAlphanumeric(scalar) || scalar == "-" || scalar == "." || scalar == "_"
    }
}

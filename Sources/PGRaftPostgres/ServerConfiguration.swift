import Foundation
import PGRaftBridge

/// The configuration pgraft writes into a data directory: its own include file `pgraft.conf`, the
/// line of `postgresql.conf` that includes it, and `pg_hba.conf`. Pure text in and out, so it is
/// tested without a server.
///
/// Why an include file rather than `ALTER SYSTEM` (`postgresql.auto.conf`): pgraft must configure
/// a server that is not running (before its first start, right after a base backup or a rewind,
/// which copy the upstream's files), and it must own its settings whole so that writing them is
/// idempotent; `postgresql.auto.conf` stays the operator's. `pgraft.conf` is included by the last
/// line of `postgresql.conf` with `include` (not `include_if_exists`: a server without its pgraft
/// settings must not start), so it overrides what comes before it. A parameter the operator sets
/// with `ALTER SYSTEM` is read after it and would win: the library reads back what it sets
/// (`synchronous_standby_names`, `primary_conninfo`) and reports a difference as an error.
///
/// `pg_hba.conf` cannot include another file before PostgreSQL 16, so pgraft writes it whole:
/// first the lines pgraft needs, then the operator's `postgres.pg_hba` lines.
public enum ServerConfiguration {
    /// pgraft's include file, in the data directory.
    public static let fileName = "pgraft.conf"
    /// The line `postgresql.conf` ends with.
    public static let includeLine = "include '\(fileName)'"

    /// The parameters pgraft sets itself; the operator's `postgres.parameters` may not name them.
    /// The list is ``PGRaftBridge/PostgresParameters/owned``, which the configuration reader checks too.
    public static var ownedParameters: Set<String> { PostgresParameters.owned }

    /// The parameters only a standby's file has.
    static let standbyParameters = ["primary_conninfo", "primary_slot_name", "recovery_target_timeline"]

    /// pgraft's defaults, which the operator's `postgres.parameters` override: enough WAL senders
    /// and slots for the members; a fast retry of the WAL receiver so a re-pointed standby
    /// connects to its new upstream within a tenth of a second; and `wal_keep_size` so that a
    /// diverged old primary still has the WAL back to the last checkpoint it shares with the new
    /// one, which `pg_rewind` reads (without it a shutdown checkpoint recycles that WAL and the
    /// rewind fails with "could not find previous WAL record").
    public static func defaults(for spec: PostgresServerSpec) -> [(String, String)] {
        var values = [
            ("max_wal_senders", "10"), ("max_replication_slots", "10"), ("wal_retrieve_retry_interval", "100ms"),
            ("wal_keep_size", "256MB"),
        ]
        // With no superuser password the socket trusts the superuser: only the server's user (and root) may use it.
        if spec.superuserPassword == nil { values.append(("unix_socket_permissions", "0700")) }
        return values
    }

    /// Checks the operator's parameters: a name pgraft owns, or one that is not a parameter name, is
    /// an error naming `postgres.parameters.NAME`.
    public static func validate(_ spec: PostgresServerSpec) throws {
        for name in spec.parameters.keys.sorted() {
            guard PostgresParameters.isValidName(name) else {
                throw PostgresError(.environment, setting: "postgres.parameters.\(name)", "not a PostgreSQL parameter name")
            }
            guard !PostgresParameters.isOwned(name) else {
                throw PostgresError(
                    .environment, setting: "postgres.parameters.\(name)",
                    "pgraft sets \(name) itself (from the postgres section, the role and the members)")
            }
        }
    }

    /// The libpq connection string a standby of `spec` streams from `upstream` with: the
    /// replication user, the passfile, `application_name` = this node's member name.
    public static func primaryConninfo(spec: PostgresServerSpec, upstream: Upstream, passfile: Passfile) -> String {
        [
            ("host", upstream.address.host), ("port", "\(upstream.address.port)"), ("user", spec.replicationUser),
            ("passfile", passfile.path), ("application_name", MemberNaming.name(of: spec.nodeID)), ("connect_timeout", "5"),
        ].map { "\($0.0)=\(conninfoQuote($0.1))" }.joined(separator: " ")
    }

    /// The standby parameters of `spec` streaming from `upstream`.
    static func standbySettings(spec: PostgresServerSpec, upstream: Upstream, passfile: Passfile) -> [(String, String)] {
        [
            ("primary_conninfo", primaryConninfo(spec: spec, upstream: upstream, passfile: passfile)),
            ("primary_slot_name", MemberNaming.name(of: spec.nodeID)),
            ("recovery_target_timeline", "latest"),
        ]
    }

    /// The text of `pgraft.conf`: the defaults, the operator's parameters (sorted), then the
    /// parameters pgraft owns, and `standby` (empty for a primary) last.
    public static func render(spec: PostgresServerSpec, standby: [(String, String)], synchronousStandbyNames: String) -> String {
        var lines = [
            "# Written by pgraft for node \(spec.nodeID); every change is overwritten.",
            "# Set parameters through the postgres section of pgraft's YAML file.",
            "",
            "# pgraft's defaults, which postgres.parameters may override",
        ]
        lines += defaults(for: spec).filter { spec.parameters[$0.0] == nil }.map(line)
        lines += ["", "# postgres.parameters"]
        lines += spec.parameters.sorted { $0.key < $1.key }.map(line)
        lines += ["", "# owned by pgraft"]
        lines += [
            ("listen_addresses", spec.listenAddress), ("port", "\(spec.port)"), ("unix_socket_directories", spec.socketDirectory),
            ("wal_level", "replica"), ("hot_standby", "on"), ("wal_log_hints", "on"),
            ("synchronous_standby_names", synchronousStandbyNames),
        ].map(line)
        if !standby.isEmpty {
            lines += ["", "# standby"]
            lines += standby.map(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The parameters of a `pgraft.conf` this library wrote (`name = 'value'` lines), unquoted.
    public static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let text = raw.trimmingCharacters(in: .whitespaces)
            guard !text.hasPrefix("#"), let equals = text.firstIndex(of: "=") else { continue }
            let name = text[..<equals].trimmingCharacters(in: .whitespaces)
            var value = text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 {
                value = String(value.dropFirst().dropLast())
                var unquoted = ""
                var iterator = value.makeIterator()
                while let character = iterator.next() {
                    if character == "\\", let next = iterator.next() {
                        unquoted.append(next)
                    } else if character == "'" {
                        _ = iterator.next()  // '' stands for one quote
                        unquoted.append("'")
                    } else {
                        unquoted.append(character)
                    }
                }
                value = unquoted
            }
            values[name] = value
        }
        return values
    }

    /// `postgresql.conf` with the include line appended when it is not already its last setting.
    public static func withInclude(_ postgresqlConf: String) -> String {
        let settings = postgresqlConf.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        if settings.last == includeLine { return postgresqlConf }
        let separator = postgresqlConf.isEmpty || postgresqlConf.hasSuffix("\n") ? "" : "\n"
        return postgresqlConf + separator + "\n# pgraft's settings (they override the lines above)\n" + includeLine + "\n"
    }

    /// The text of `pg_hba.conf`: the superuser over the Unix socket; the replication user from each
    /// member's host, for streaming (`replication`) and for `pg_rewind` (database `postgres`); then
    /// the operator's lines.
    ///
    /// Authentication: `scram-sha-256` for a role that has a password, `trust` for one that does not
    /// (the superuser over a socket only the server's user may open, see ``defaults(for:)``; the
    /// replication role from the members' addresses only).
    public static func hba(spec: PostgresServerSpec, members: MemberAddresses) -> String {
        let localMethod = spec.superuserPassword == nil ? "trust" : "scram-sha-256"
        let replicationMethod = spec.replicationPassword == nil ? "trust" : "scram-sha-256"
        var lines = [
            "# Written by pgraft for node \(spec.nodeID); every change is overwritten.",
            "# Add lines through postgres.pg_hba in pgraft's YAML file.",
            "",
            "# pgraft: the bridge's connection over the Unix socket",
            "local all \(hbaQuote(spec.superuser)) \(localMethod)",
            "# pgraft: the members stream (replication) and rewind (database postgres) as the replication role",
        ]
        for host in members.hosts {
            let address = hbaAddress(host)
            lines.append("host replication \(hbaQuote(spec.replicationUser)) \(address) \(replicationMethod)")
            lines.append("host postgres \(hbaQuote(spec.replicationUser)) \(address) \(replicationMethod)")
        }
        lines += ["", "# postgres.pg_hba"] + spec.hbaLines
        return lines.joined(separator: "\n") + "\n"
    }

    private static func line(_ setting: (String, String)) -> String {
        "\(setting.0) = '\(setting.1.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''"))'"
    }

    /// A libpq connection-string value, quoted when it needs to be.
    static func conninfoQuote(_ value: String) -> String {
        let plain = !value.isEmpty && !value.contains { $0 == " " || $0 == "'" || $0 == "\\" || $0 == "=" }
        if plain { return value }
        return "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    private static func hbaQuote(_ name: String) -> String {
        name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } ? name : "\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\""
    }

    /// An IP address with its full-length mask, or a host name as it is.
    private static func hbaAddress(_ host: String) -> String {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return host + "/32" }
        if inet_pton(AF_INET6, host, &v6) == 1 { return host + "/128" }
        return host
    }
}

/// A password written in the configuration file itself (`postgres.superuser.password`), kept in a
/// type that cannot be printed by accident: its description, debug description and mirror say
/// `<set, not shown>`, so interpolating a configuration into a log line or a test failure shows no
/// password.
///
/// - Important: Read ``value`` only to hand the password to PostgreSQL (the bridge's passfile and
///   role verifiers). The effective YAML names the file the password is in instead of the password
///   (`password: !not-shown "/etc/pgraft/pgraft.yaml"`), and a reader of that YAML takes the password
///   from that file again.
public struct PostgresSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The password.
    public let value: String
    /// The absolute path of the configuration file the password is written in, which the effective
    /// YAML points at; "" for a configuration parsed from a string. Provenance, not a setting:
    /// `==` ignores it.
    public let source: String

    /// The password `value`, written in the file at `source`.
    public init(_ value: String, source: String) {
        self.value = value
        self.source = source
    }

    /// Two secrets are equal when their passwords are, wherever they were read from.
    public static func == (lhs: PostgresSecret, rhs: PostgresSecret) -> Bool {
        lhs.value == rhs.value
    }

    /// `<set, not shown>`.
    public var description: String { "<set, not shown>" }
    /// `<set, not shown>`.
    public var debugDescription: String { description }
    /// A mirror without children, so `dump` and reflection show no password.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// A value that differs when the password differs, for the reload fingerprints: a hash keyed
    /// with this process's random seed, so it means nothing outside the process and reveals nothing.
    var digest: String {
        var hasher = Hasher()
        hasher.combine(value)
        return String(UInt(bitPattern: hasher.finalize()), radix: 16)
    }
}

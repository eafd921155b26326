/// How a role's password is given (`password` or `password_file` in `postgres.superuser` and
/// `postgres.replication`; at most one of them).
public enum PostgresPassword: Sendable, Equatable {
    /// `password`: the password is written in the configuration file.
    case value(PostgresSecret)
    /// `password_file`: the absolute path of a file whose first line is the password. The bridge
    /// reads it when it starts, so the configuration never holds the password.
    case file(String)
    /// A password the YAML read does not show (`password: !not-shown "FILE"`, the effective YAML's
    /// form) and that could not be taken from `source`, with the reason. Like an unreadable
    /// `password_file`, it stops the bridge when it starts, not the other components, which do not
    /// need it: a half-edited configuration file must not keep consensus from restarting.
    case unavailable(source: String, reason: String)
}

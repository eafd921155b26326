/// A database role the bridge uses (`postgres.superuser`, `postgres.replication`): its name and how
/// its password is given.
public struct PostgresRoleSettings: Sendable, Equatable {
    /// The role's name (`user`).
    public var user: String
    /// Its password (`password` or `password_file`); nil: none, and pgraft's `pg_hba.conf` trusts the
    /// role where it connects from (the superuser over the Unix socket, the replication role from
    /// the members' addresses).
    public var password: PostgresPassword?

    /// The role `user` with `password`.
    public init(user: String, password: PostgresPassword? = nil) {
        self.user = user
        self.password = password
    }
}

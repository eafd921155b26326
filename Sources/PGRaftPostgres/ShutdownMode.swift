/// How `pg_ctl stop` stops a server.
public enum ShutdownMode: String, Sendable {
    /// Disconnects the clients, rolls back their transactions and writes a shutdown checkpoint: the
    /// directory is cleanly shut down and can be rewound or started at once.
    case fast
    /// Stops every process at once with no checkpoint: the next start runs crash recovery. For
    /// fencing a primary that must stop accepting writes now.
    case immediate
}

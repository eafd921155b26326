import Foundation
import PGRaftKit
import PGRaftPostgres

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A throwaway cluster of real nodes on loopback, each managing its own PostgreSQL 15 server (made
/// by pgraft: initdb on the first leader, base backups on the others), with what the end-to-end
/// failover tests need: who is primary, SQL on any server, and killing or freezing a whole host.
public final class PostgresClusterSandbox: @unchecked Sendable {
    /// The nodes.
    public let cluster: ClusterSandbox
    /// Each node's PostgreSQL port (`pgPorts[id - 1]`).
    public private(set) var pgPorts: [Int]
    private let postgresExtra: String

    /// Writes `size` nodes whose `postgres:` sections name a data directory below each node's
    /// directory (owned by the server's user), fsync off; `extra` goes into every `postgres:`
    /// section (indented by two spaces).
    public init(size: Int = 3, heartbeatMs: Int = 50, electionTimeoutMs: Int = 500, postgresExtra: String = "") throws {
        let ports = try LoopbackPorts.free(size)
        pgPorts = ports
        self.postgresExtra = postgresExtra
        cluster = try ClusterSandbox(size: size, heartbeatMs: heartbeatMs, electionTimeoutMs: electionTimeoutMs) { id in
            Self.section(port: ports[id - 1], extra: postgresExtra)
        }
        for node in cluster.nodes { try Self.makeServerDirectory(node) }
    }

    /// A node's postgres section: the server below the node's directory on `port`, fsync off.
    static func section(port: Int, extra: String) -> String {
        """
        postgres:
          bin_dir: \(LocalPostgres.binDirectory)
          data_dir: pg/data
          socket_dir: pg
          listen_address: 127.0.0.1
          port: \(port)
          start_timeout_ms: 20000
          parameters:
            fsync: "off"
            wal_sender_timeout: "5s"
        \(extra.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        """
    }

    /// The directory the node's server lives in, owned by the server's user.
    static func makeServerDirectory(_ node: NodeSandbox) throws {
        let directory = node.directory + "/pg"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 { _ = chown(directory, postgresUser.uid, postgresUser.gid) }
    }

    /// Writes a node that joins the running cluster with a server of its own to be made (not
    /// started, not yet added: `add-node` it with its peer address).
    public func addJoiningNode() throws -> NodeSandbox {
        let port = try LoopbackPorts.free(1)[0]
        let node = try cluster.addJoiningNode(perNode: Self.section(port: port, extra: postgresExtra))
        try Self.makeServerDirectory(node)
        pgPorts.append(port)
        return node
    }

    static let postgresUser: (uid: uid_t, gid: gid_t) = {
        guard let entry = getpwnam("postgres") else { return (0, 0) }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }()

    /// Node `id`'s data directory.
    public func dataDirectory(_ id: Int) -> String { cluster.node(id).directory + "/pg/data" }

    /// Node `id`'s socket directory.
    public func socketDirectory(_ id: Int) -> String { cluster.node(id).directory + "/pg" }

    /// A new connection to node `id`'s server over its socket, as the superuser.
    public func connect(_ id: Int, timeoutMs: Int = 3_000) throws -> PostgresConnection {
        try PostgresConnection(
            parameters: [
                ("host", socketDirectory(id)), ("port", "\(pgPorts[id - 1])"), ("user", "postgres"), ("dbname", "postgres"),
                ("connect_timeout", "3"),
            ],
            timeoutMs: timeoutMs)
    }

    /// Runs `sql` on node `id`'s server; nil when it cannot be reached or the statement fails.
    @discardableResult
    public func query(_ id: Int, _ sql: String, timeoutMs: Int = 3_000) -> [[String?]]? {
        guard let connection = try? connect(id, timeoutMs: timeoutMs) else { return nil }
        defer { connection.close() }
        return try? connection.query(sql, timeoutMs: timeoutMs)
    }

    /// Whether node `id`'s server takes and acknowledges writes: not in recovery, not fenced.
    public func isWritablePrimary(_ id: Int) -> Bool {
        guard let row = query(id, "SELECT pg_is_in_recovery(), current_setting('synchronous_standby_names')")?.first else { return false }
        return row[0] == "f" && row[1] != "pgraft_fenced"
    }

    /// Whether node `id`'s server is a standby streaming from some upstream.
    public func isStreamingStandby(_ id: Int) -> Bool {
        query(id, "SELECT status FROM pg_stat_wal_receiver")?.first?.first == "streaming"
    }

    /// The one node whose server is the writable primary, waiting up to `timeout` seconds; nil when
    /// there is none (or more than one) by then.
    public func waitForPrimary(among: [Int]? = nil, timeout: Double = 60) -> Int? {
        let ids = among ?? cluster.nodes.map(\.nodeId)
        var found: Int?
        cluster.nodes[0].waitUntil(timeout: timeout) {
            let primaries = ids.filter { isWritablePrimary($0) }
            found = primaries.count == 1 ? primaries[0] : nil
            return found != nil
        }
        return found
    }

    /// Node `id`'s postmaster pid (from `postmaster.pid`), nil when none runs.
    public func postmasterPid(_ id: Int) -> Int32? {
        guard let text = try? String(contentsOfFile: dataDirectory(id) + "/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first, let pid = Int32(first), kill(pid, 0) == 0
        else { return nil }
        return pid
    }

    /// Every process of node `id`'s PostgreSQL: the postmaster and its children.
    public func postgresPids(_ id: Int) -> [Int32] {
        guard let postmaster = postmasterPid(id) else { return [] }
        return [postmaster] + Self.children(of: postmaster)
    }

    /// Every pid of node `id`'s host: pgraftd, its components and its PostgreSQL processes.
    public func hostPids(_ id: Int) -> [Int32] {
        let node = cluster.node(id)
        let pgraft = [node.process?.pid].compactMap { $0 } + (node.status()?.components.compactMap(\.pid) ?? [])
        return pgraft + postgresPids(id)
    }

    /// Kills node `id`'s whole host with SIGKILL (pgraftd, its components, the postmaster and its
    /// children), as a power loss would, and waits until they are gone.
    public func killHost(_ id: Int) {
        let postgres = postgresPids(id)
        cluster.killNode(id)
        for pid in postgres { kill(pid, SIGKILL) }
        cluster.nodes[0].waitUntil(timeout: 10) { postgres.allSatisfy { kill($0, 0) != 0 || Self.isZombie($0) } }
    }

    /// Sends `signal` to every process of node `id`'s host (SIGSTOP freezes it, SIGCONT resumes it).
    public func signalHost(_ id: Int, _ signal: Int32, pids: [Int32]? = nil) {
        for pid in pids ?? hostPids(id) { kill(pid, signal) }
    }

    /// The children of `pid`, from `/proc`.
    static func children(of pid: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { Int32($0) }.filter { candidate in
            guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid
        }
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    /// Stops every node, then any PostgreSQL server left (by its pid), and removes the directories.
    public func cleanUp() {
        let ids = cluster.nodes.map(\.nodeId)
        for node in cluster.nodes { _ = node.stop(timeout: 30) }
        for id in ids { for pid in postgresPids(id) { kill(pid, SIGKILL) } }
        cluster.cleanUp()
    }
}

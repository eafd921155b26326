import Foundation
import Logging
import PGRaftBridge
import PGRaftPostgres
import PGRaftTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One member's PostgreSQL for a test: a throwaway directory and port from `LocalPostgres` (no
/// initdb of its own) and the library's `PostgresServer` over them.
struct TestNode {
    static let superuserPassword = "su-Secret-4711"
    static let replicationPassword = "repl-Secret-0815"

    let id: UInt64
    let sandbox: LocalPostgres
    let server: PostgresServer

    /// A node with passwords for both roles, fsync off, and a short start timeout.
    static func make(
        _ id: UInt64, replicationPassword: String = TestNode.replicationPassword, edit: (inout PostgresServerSpec) -> Void = { _ in }
    ) throws -> TestNode {
        let sandbox = try LocalPostgres(initialize: false)
        var spec = PostgresServerSpec(
            binDirectory: LocalPostgres.binDirectory, dataDirectory: sandbox.dataDirectory, listenAddress: "127.0.0.1",
            port: sandbox.port, socketDirectory: sandbox.directory, superuserPassword: superuserPassword,
            replicationPassword: replicationPassword, parameters: ["fsync": "off", "shared_buffers": "16MB"],
            startTimeoutMs: 30_000, nodeID: id, privateDirectory: sandbox.directory + "/private", syncToDisk: false)
        edit(&spec)
        var logger = Logger(label: "pgraft.postgres.node\(id)")
        logger.logLevel = .notice
        do {
            return TestNode(id: id, sandbox: sandbox, server: try PostgresServer(spec: spec, logger: logger))
        } catch {
            sandbox.cleanUp()
            throw error
        }
    }

    var address: ServerAddress { ServerAddress(host: "127.0.0.1", port: sandbox.port) }
    var upstream: Upstream { Upstream(node: id, address: address) }

    /// Stops the server if it runs (immediately) and removes the directory.
    func cleanUp() {
        try? server.stop(.immediate)
        sandbox.cleanUp()
    }

    /// What the server shows now.
    func observe(_ members: MemberAddresses) -> ServerObservation { server.observe(members: members) }

    /// The rows of `sql` on this server.
    @discardableResult
    func query(_ sql: String, timeoutMs: Int = 10_000) throws -> [[String?]] {
        let connection = try server.connect()
        defer { connection.close() }
        return try connection.query(sql, timeoutMs: timeoutMs)
    }
}

/// The members' address table of `nodes`.
func members(_ nodes: TestNode...) -> MemberAddresses {
    MemberAddresses(Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.address) }))
}

/// Waits until `condition` holds, for at most `seconds`; false when it never did.
func eventually(_ seconds: Double = 20, _ condition: () throws -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if (try? condition()) == true { return true }
        usleep(50_000)
    }
    return (try? condition()) == true
}

/// A primary (node 1, initialized) and a standby of it made by base backup (node 2, streaming).
func primaryAndStandby() throws -> (TestNode, TestNode) {
    let primary = try TestNode.make(1)
    let standby: TestNode
    do {
        standby = try TestNode.make(2)
    } catch {
        primary.cleanUp()
        throw error
    }
    do {
        let table = members(primary, standby)
        try primary.server.initialize(members: table)
        try primary.server.ensureSlots(for: [1, 2])
        try standby.server.baseBackup(from: primary.upstream, members: table)
        try standby.server.start(as: .standby(of: primary.upstream), members: table)
    } catch {
        primary.cleanUp()
        standby.cleanUp()
        throw error
    }
    return (primary, standby)
}

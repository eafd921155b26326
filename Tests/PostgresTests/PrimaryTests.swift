import Foundation
import PGRaftBridge
import PGRaftPostgres
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A new cluster: initdb, start as primary, what the observation says, where the passwords are.
@Suite struct PrimaryTests {
    @Test func initdbThenStartAsPrimaryShowsAPrimaryOnTimelineOneWhoseFlushedLSNGrowsWithAWrite() throws {
        let node = try TestNode.make(1)
        defer { node.cleanUp() }
        let table = members(node)
        #expect(node.observe(table).dataDirectory == .empty)
        try node.server.checkEnvironment()
        try node.server.initialize(members: table)
        // Its own running server does not count as the port being taken.
        try node.server.checkEnvironment()

        let first = node.observe(table)
        guard case .initialized(let control) = first.dataDirectory else {
            Issue.record("not initialized: \(first.dataDirectory)")
            return
        }
        #expect(control.systemIdentifier != 0)
        #expect(control.timeline == 1)
        #expect(!control.isStandby)
        let running = try #require(first.running)
        #expect(running.postmasterPID == node.server.postmaster?.pid)
        #expect(!running.inRecovery)
        #expect(running.timeline == 1)
        #expect(running.flushed > .zero)
        #expect(running.streamingFrom == nil)
        #expect(running.standbys.isEmpty)
        #expect(running.synchronousStandbyNames == "")

        try node.query("CREATE TABLE growth (n int); INSERT INTO growth SELECT generate_series(1, 1000)")
        #expect(eventually { (node.observe(table).running?.flushed ?? .zero) > running.flushed })

        // The library keeps its connection between observations; one the server ended is replaced at once.
        let ended = try node.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgraft' AND pid <> pg_backend_pid()")
        #expect(ended == [["t"]])
        #expect(node.observe(table).running?.postmasterPID == running.postmasterPID)

        // The replication role exists with what streaming and rewinding need.
        let role = try node.query("SELECT rolreplication, rolcanlogin FROM pg_roles WHERE rolname = 'pgraft_replication'")
        #expect(role == [["t", "t"]])
    }

    @Test func passwordsAreOnlyInThePassfileWhichIsPrivateToTheServersUser() throws {
        let node = try TestNode.make(1)
        defer { node.cleanUp() }
        try node.server.initialize(members: members(node))
        try node.query("SELECT 1")  // connecting through the passfile with SCRAM works

        var info = stat()
        #expect(stat(node.server.passfile.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(info.st_uid == node.server.user.uid)
        let passfile = try String(contentsOfFile: node.server.passfile.path, encoding: .utf8)
        #expect(passfile.contains(TestNode.superuserPassword) && passfile.contains(TestNode.replicationPassword))

        // Every other file under the node's directory (data directory, server log): no password.
        let root = node.sandbox.directory
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        var scanned = 0
        for file in files where root + "/" + file != node.server.passfile.path {
            guard let data = FileManager.default.contents(atPath: root + "/" + file) else { continue }
            scanned += 1
            for secret in [TestNode.superuserPassword, TestNode.replicationPassword] {
                #expect(data.range(of: Data(secret.utf8)) == nil, "\(file) holds a password")
            }
        }
        #expect(scanned > 100)
    }
}

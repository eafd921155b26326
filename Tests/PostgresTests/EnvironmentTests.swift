import Foundation
import PGRaftBridge
import PGRaftPostgres
import PGRaftTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Each environment check is an error naming the setting at fault; a tool's failure names the tool,
/// its arguments, its status and its last words, and never a password.
@Suite struct EnvironmentTests {
    @Test func aMissingOrNonExecutableToolIsAnErrorNamingTheBinDirAndTheFile() throws {
        let node = try TestNode.make(1) { $0.binDirectory = NSTemporaryDirectory() + "pgraft-no-bin-\(getpid())" }
        defer { node.cleanUp() }
        let missing = #expect(throws: PostgresError.self) { try node.server.checkEnvironment() }
        #expect(missing?.setting == "postgres.bin_dir")
        #expect(missing?.description.contains(node.server.spec.binDirectory + "/initdb does not exist") == true, "\(String(describing: missing))")

        let bin = node.sandbox.directory + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: bin + "/initdb", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o644])
        let notExecutable = TestNode(id: 1, sandbox: node.sandbox, server: try PostgresServer(spec: withBin(node, bin), logger: .init(label: "t")))
        let error = #expect(throws: PostgresError.self) { try notExecutable.server.initialize(members: members(node)) }
        #expect(error?.setting == "postgres.bin_dir")
        #expect(error?.message == bin + "/initdb is not executable")
    }

    @Test(.enabled(if: getuid() == 0, "only root can make a directory another user owns"))
    func aDataDirectoryOwnedByAnotherUserIsAnErrorNamingTheDataDir() throws {
        let node = try TestNode.make(1)
        defer { node.cleanUp() }
        try FileManager.default.createDirectory(atPath: node.server.spec.dataDirectory, withIntermediateDirectories: false)
        // Made by root, not by the server's user.
        let error = #expect(throws: PostgresError.self) { try node.server.checkEnvironment() }
        #expect(error?.setting == "postgres.data_dir")
        #expect(error?.message.contains("is owned by root, not by postgres") == true, "\(String(describing: error))")
        guard case .unusable(let reason) = node.observe(members(node)).dataDirectory else {
            Issue.record("a directory of another owner is usable")
            return
        }
        #expect(reason.contains("owned by root"))
    }

    @Test func aParentDirectoryThatIsMissingOrNotWritableIsAnErrorNamingTheDataDir() throws {
        let node = try TestNode.make(1) { $0.dataDirectory = NSTemporaryDirectory() + "pgraft-absent-\(getpid())/sub/data" }
        defer { node.cleanUp() }
        let missing = #expect(throws: PostgresError.self) { try node.server.checkEnvironment() }
        #expect(missing?.setting == "postgres.data_dir")
        #expect(missing?.message.contains("does not exist") == true, "\(String(describing: missing))")

        guard getuid() == 0 else { return }
        // A parent that root owns, mode 0755: the server's user cannot create the data directory in it.
        let parent = node.sandbox.directory + "/root-owned"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        var spec = node.server.spec
        spec.dataDirectory = parent + "/data"
        let server = try PostgresServer(spec: spec, logger: .init(label: "t"))
        let unwritable = #expect(throws: PostgresError.self) { try server.checkEnvironment() }
        #expect(unwritable?.setting == "postgres.data_dir")
        #expect(unwritable?.message.contains("cannot be written by postgres") == true, "\(String(describing: unwritable))")
    }

    @Test(.enabled(if: getuid() == 0, "only root can make a directory the server's user cannot enter"))
    func aPrivateDirectoryTheServersUserCannotEnterIsAnError() throws {
        let node = try TestNode.make(1)
        defer { node.cleanUp() }
        try FileManager.default.createDirectory(
            atPath: node.server.spec.privateDirectory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let error = #expect(throws: PostgresError.self) { try node.server.checkEnvironment() }
        #expect(error?.message.contains("postgres cannot enter \(node.server.spec.privateDirectory)") == true, "\(String(describing: error))")
    }

    @Test func aPortTakenByAnotherProgramIsAnErrorNamingThePort() throws {
        let node = try TestNode.make(1)
        defer { node.cleanUp() }
        let listener = try listen(on: node.sandbox.port)
        defer { close(listener) }
        let error = #expect(throws: PostgresError.self) { try node.server.checkEnvironment() }
        #expect(error?.setting == "postgres.port")
        #expect(error?.message.contains("port \(node.sandbox.port) on 127.0.0.1 is in use") == true, "\(String(describing: error))")
        let starting = #expect(throws: PostgresError.self) { try node.server.initialize(members: members(node)) }
        #expect(starting?.setting == "postgres.port")
    }

    @Test func settingsPgraftOwnsOrAnUnknownUserAreErrorsNamingTheSetting() throws {
        let owned = #expect(throws: PostgresError.self) {
            _ = try TestNode.make(1) { $0.parameters["port"] = "6543" }
        }
        #expect(owned?.setting == "postgres.parameters.port")
        let malformed = #expect(throws: PostgresError.self) {
            _ = try TestNode.make(1) { $0.parameters["work_mem = 1GB"] = "x" }
        }
        #expect(malformed?.setting == "postgres.parameters.work_mem = 1GB")
        guard getuid() == 0 else { return }
        let user = #expect(throws: PostgresError.self) {
            _ = try TestNode.make(1) { $0.osUser = "pgraft-no-such-user" }
        }
        #expect(user?.setting == "postgres.os_user")
    }

    @Test func aDataDirectoryOfAnotherMajorVersionIsUnusable() throws {
        let node = try TestNode.make(1)
        defer { node.cleanUp() }
        let data = node.server.spec.dataDirectory
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: data + "/PG_VERSION", contents: Data("14\n".utf8))
        if getuid() == 0 { chown(data, node.server.user.uid, node.server.user.gid) }
        guard case .unusable(let reason) = node.observe(members(node)).dataDirectory else {
            Issue.record("a PostgreSQL 14 directory is usable")
            return
        }
        #expect(reason.contains("is of PostgreSQL 14, the binaries in \(LocalPostgres.binDirectory) are of 15"), "\(reason)")
        #expect(throws: PostgresError.self) { try node.server.initialize(members: members(node)) }
    }

    @Test func aFailingToolNamesItsArgumentsStatusAndStderrButNoPassword() throws {
        let primary = try TestNode.make(1)
        defer { primary.cleanUp() }
        let wrongPassword = "wrong-Secret-1234"
        let clone = try TestNode.make(2, replicationPassword: wrongPassword)
        defer { clone.cleanUp() }
        let table = members(primary, clone)
        try primary.server.initialize(members: table)

        let error = #expect(throws: PostgresError.self) { try clone.server.baseBackup(from: primary.upstream, members: table) }
        let text = error.map { "\($0)" } ?? ""
        #expect(error?.code == .toolFailed)
        #expect(text.hasPrefix("pg_basebackup -D \(clone.server.spec.dataDirectory) -d host=127.0.0.1 port=\(primary.sandbox.port)"), "\(text)")
        #expect(text.contains("-X stream -c fast"))
        #expect(text.contains("passfile=\(clone.server.passfile.path)"))
        #expect(text.contains("exited with status 1"))
        #expect(text.contains("password authentication failed for user \"pgraft_replication\""), "\(text)")
        for secret in [wrongPassword, TestNode.superuserPassword, TestNode.replicationPassword] {
            #expect(!text.contains(secret))
        }
        // The failed backup left nothing behind to move aside.
        #expect(clone.observe(table).dataDirectory == .empty)
    }

    @Test func aServerThatCannotStartSaysWhyFromItsLog() throws {
        let node = try TestNode.make(1) { $0.parameters["shared_buffers"] = "plenty" }
        defer { node.cleanUp() }
        let error = #expect(throws: PostgresError.self) { try node.server.initialize(members: members(node)) }
        #expect(error?.code == .toolFailed)
        #expect(error?.message.hasPrefix("pg_ctl start -D \(node.server.spec.dataDirectory)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("invalid value for parameter \"shared_buffers\": \"plenty\"") == true, "\(String(describing: error))")
    }

    @Test func aToolThatOutlivesItsTimeoutIsKilledWithWhatItStarted() throws {
        let node = try TestNode.make(1)
        defer { node.cleanUp() }
        // Something that accepts the connection and never answers: pg_basebackup would wait a minute.
        let listener = try listen(on: node.sandbox.port)
        defer { close(listener) }
        let target = node.sandbox.directory + "/never"
        let started = ContinuousClock.now
        let error = #expect(throws: PostgresError.self) {
            try node.server.tools.run(
                "pg_basebackup", ["-D", target, "-d", "host=127.0.0.1 port=\(node.sandbox.port) connect_timeout=60", "--no-password"],
                timeoutMs: 300)
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(error?.code == .toolTimedOut)
        #expect(error?.message.contains("did not finish within 300 ms") == true, "\(String(describing: error))")
        #expect(processes(mentioning: target).isEmpty)
    }

    // MARK: - Helpers

    /// The ids of the processes whose command line mentions `text`.
    private func processes(mentioning text: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
        }
    }

    private func withBin(_ node: TestNode, _ bin: String) -> PostgresServerSpec {
        var spec = node.server.spec
        spec.binDirectory = bin
        return spec
    }

    /// A socket listening on 127.0.0.1:`port`, as another program would hold it.
    private func listen(on port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 1) == 0 else {
            close(fd)
            throw PostgresError(.environment, "cannot listen on \(port)")
        }
        return fd
    }
}

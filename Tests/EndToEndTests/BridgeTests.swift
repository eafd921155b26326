import Foundation
import PGRaftKit
import PGRaftTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// The bridge of one node managing its own PostgreSQL 15: it makes the server (or adopts the
    /// one it is given), makes it the writable primary, restarts a crashed postmaster in place,
    /// keeps passwords out of every file it writes, and refuses a data directory of another system.
    @Suite(.serialized) final class BridgeTests {
        /// A single node whose postgres section puts the server below the node's directory.
        static func node(postgres extra: String = "") throws -> (NodeSandbox, port: Int) {
            let port = try LoopbackPorts.free(1)[0]
            let node = try NodeSandbox(
                extra: """
                    postgres:
                      bin_dir: "\(LocalPostgres.binDirectory)"
                      data_dir: pg/data
                      socket_dir: pg
                      port: \(port)
                      parameters:
                        fsync: "off"
                    \(extra.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
                    """)
            let directory = node.directory + "/pg"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if getuid() == 0, let user = getpwnam("postgres") { _ = chown(directory, user.pointee.pw_uid, user.pointee.pw_gid) }
            return (node, port)
        }

        /// Whether the node's server is the writable primary, asked over its socket.
        static func isWritable(_ node: NodeSandbox, _ port: Int) -> Bool {
            let row = psql(node, port, "SELECT pg_is_in_recovery(), current_setting('synchronous_standby_names')")
            return row == "f|"
        }

        /// One query through psql as the server's user; its output, nil when it failed.
        static func psql(_ node: NodeSandbox, _ port: Int, _ sql: String) -> String? {
            let runner = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
            let arguments = runner + [LocalPostgres.binDirectory + "/psql", "-h", node.directory + "/pg", "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-Atc", sql]
            guard let result = try? CommandResult.run(arguments[0], Array(arguments.dropFirst())), result.status == 0 else { return nil }
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        static func log(_ node: NodeSandbox) -> String {
            (try? String(contentsOfFile: node.directory + "/log/bridge.log", encoding: .utf8)) ?? ""
        }

        static func postmaster(_ node: NodeSandbox) -> Int32? {
            guard let text = try? String(contentsOfFile: node.directory + "/pg/data/postmaster.pid", encoding: .utf8),
                let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }), kill(pid, 0) == 0
            else { return nil }
            return pid
        }

        static func stopPostgres(_ node: NodeSandbox) {
            if let pid = postmaster(node) { kill(pid, SIGKILL) }
        }

        @Test func aNodeMakesItsServerMakesItTheWritablePrimaryAndRestartsACrashedPostmasterInPlace() throws {
            let (node, port) = try Self.node()
            defer {
                node.cleanUp()
                Self.stopPostgres(node)
            }
            try node.start()
            #expect(node.waitUntil(timeout: 90) { Self.isWritable(node, port) }, "\(Self.log(node))")
            // The load balancer's view follows within a tick or two.
            #expect(node.waitUntil(timeout: 10) { (try? HTTP.get(port: node.apiPort, path: "/primary").status) == 200 })
            #expect(try HTTP.get(port: node.apiPort, path: "/replica").status == 503)
            let bridge = node.component("bridge")?.pid
            let first = try #require(Self.postmaster(node))
            kill(first, SIGKILL)
            #expect(node.waitUntil(timeout: 60) { (Self.postmaster(node) ?? first) != first && Self.isWritable(node, port) }, "\(Self.log(node))")
            #expect(node.component("bridge")?.pid == bridge, "the bridge restarted the server; it was not restarted itself")
            #expect(Self.log(node).components(separatedBy: "INFO  bridge: initdb\n").count == 2, "one initdb: \(Self.log(node))")
        }

        @Test func passwordsReachTheBridgeButNoFileItWritesAndAnUnreadableOneNamesItsFile() throws {
            let secret = "e2e-\(UUID().uuidString)"
            let (node, port) = try Self.node(
                postgres: """
                    superuser:
                      password_file: superuser.password
                    replication:
                      password: "\(secret)"
                    """)
            defer {
                node.cleanUp()
                Self.stopPostgres(node)
            }
            try node.start()
            // No password file yet: the bridge stops with the setting and the file, and is restarted.
            let missing = "postgres.superuser.password_file: cannot read \(node.directory)/superuser.password: No such file or directory"
            #expect(node.waitUntil(timeout: 20) { Self.log(node).contains(missing) }, "\(Self.log(node))")
            let effective = (try? String(contentsOfFile: node.directory + "/run/effective.yaml", encoding: .utf8)) ?? ""
            #expect(effective.contains("password: !not-shown \"\(node.configPath)\""), "\(effective)")
            #expect(!effective.contains(secret))

            // With the file, the restarted bridge makes the server with both passwords set.
            try "\(secret)-superuser\n".write(toFile: node.directory + "/superuser.password", atomically: true, encoding: .utf8)
            #expect(node.waitUntil(timeout: 90) { (try? HTTP.get(port: node.apiPort, path: "/primary").status) == 200 }, "\(Self.log(node))")
            #expect((node.component("bridge")?.restarts ?? 0) >= 1)
            _ = port
            for path in Self.files(below: node.directory) where !path.hasSuffix("/superuser.password") && !path.hasSuffix("/pgraft.yaml") {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                if path.hasSuffix("/run/bridge/pgpass") || path.contains("/run/bridge/") { continue }
                #expect(!text.contains(secret), "\(path) holds a password")
            }
        }

        /// Every regular file below `directory`.
        static func files(below directory: String) -> [String] {
            guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
            return walker.compactMap { $0 as? String }.map { directory + "/" + $0 }.filter {
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
        }

        @Test func aDataDirectoryOfAnotherSystemIsRefusedAndLeftAlone() throws {
            let sandbox = try PostgresClusterSandbox()
            defer { sandbox.cleanUp() }
            try sandbox.cluster.start(timeout: 60)
            let primary = try #require(sandbox.waitForPrimary(timeout: 90))
            let standby = [1, 2, 3].first { $0 != primary }!
            #expect(sandbox.cluster.nodes[0].waitUntil(timeout: 60) { sandbox.isStreamingStandby(standby) })
            // The standby's host goes down; its data directory is replaced by another system's.
            sandbox.killHost(standby)
            let data = sandbox.dataDirectory(standby)
            try FileManager.default.moveItem(atPath: data, toPath: data + ".ours")
            let foreign = try LocalPostgres(initialize: true)
            defer { foreign.cleanUp() }
            try FileManager.default.moveItem(atPath: foreign.dataDirectory, toPath: data)
            let marker = try String(contentsOfFile: data + "/PG_VERSION", encoding: .utf8)
            try sandbox.cluster.node(standby).start()
            let node = sandbox.cluster.node(standby)
            #expect(
                node.waitUntil(timeout: 60) { Self.log(node).contains("belongs to another database cluster") },
                "\(Self.log(node))")
            let status = try HTTP.get(port: node.apiPort, path: "/v1/postgres")
            #expect(status.body.contains("\"refused\""), "\(status.body)")
            #expect(sandbox.postmasterPid(standby) == nil, "the foreign server is never started")
            #expect(try String(contentsOfFile: data + "/PG_VERSION", encoding: .utf8) == marker)
            #expect(sandbox.isWritablePrimary(primary), "the cluster goes on")
        }
    }
}

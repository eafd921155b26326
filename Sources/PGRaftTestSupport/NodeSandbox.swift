import Foundation
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A throwaway node for tests and benchmarks: a temporary directory with a YAML file, a running
/// `pgraftd`, and helpers to query and wait on it. Conditions are waited for with deadlines.
public final class NodeSandbox: @unchecked Sendable {
    /// The temporary directory (data, run and log directories live below it).
    public let directory: String
    /// The YAML file.
    public let configPath: String
    /// Ports chosen for this node: peer listen port and API port.
    public let listenPort: Int
    /// The API port.
    public let apiPort: Int
    /// A unique cluster name, so that concurrent sandboxes never share a segment name.
    public let clusterName: String
    /// This node's id.
    public let nodeId: Int
    /// The supervisor process, once started.
    public private(set) var process: SpawnedProcess?
    /// Runs the node inside this network lab host (`NetworkLab.inside`), or on this machine's
    /// network when nil.
    public var host: (lab: NetworkLab, node: Int)?
    /// With `host`, whether the node gets a `/dev/shm` of its own, as on another machine.
    public var privateSharedMemory = false

    /// Supervisor settings of every sandbox unless a test overrides them: a watchdog of 30 periods of
    /// 100 ms (3 s), loose enough that a busy 2-core machine does not look like a hang.
    public static let defaultSupervisor = ["heartbeat_misses": "30"]

    /// Creates the directory and picks ports; `extra` is appended to the generated YAML and
    /// `supervisor` overrides keys of its `supervisor:` section.
    public convenience init(extra: String = "", supervisor: [String: String] = [:], healthPeriodMs: Int = 100) throws {
        let ports = try LoopbackPorts.free(2)
        try self.init(
            cluster: "t\(getpid())-\(UUID().uuidString.prefix(6).lowercased())", nodeId: 1, listenPort: ports[0], apiPort: ports[1],
            extra: extra, supervisor: supervisor, healthPeriodMs: healthPeriodMs)
    }

    /// Node `nodeId` of cluster `cluster` on the given ports; `extra` (for instance a `members:`
    /// list) is appended to the generated YAML.
    public init(
        cluster: String, nodeId: Int, listenPort: Int, apiPort: Int, extra: String, supervisor: [String: String] = [:],
        healthPeriodMs: Int = 100, listenAddress: String = "127.0.0.1"
    ) throws {
        let base = NSTemporaryDirectory() + "pgraft-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        directory = base
        configPath = base + "/pgraft.yaml"
        self.listenPort = listenPort
        self.apiPort = apiPort
        self.nodeId = nodeId
        clusterName = cluster
        let settings = Self.defaultSupervisor.merging(supervisor) { $1 }
        let section = "supervisor:\n" + settings.keys.sorted().map { "  \($0): \(settings[$0]!)" }.joined(separator: "\n")
        try write(yaml: Self.yaml(
            cluster: clusterName, nodeId: nodeId, listenPort: listenPort, apiPort: apiPort, healthPeriodMs: healthPeriodMs,
            extra: section + "\n" + extra, listenAddress: listenAddress))
    }

    /// A node YAML using relative directories below the file.
    public static func yaml(
        cluster: String, nodeId: Int = 1, listenPort: Int, apiPort: Int, healthPeriodMs: Int, extra: String, listenAddress: String = "127.0.0.1"
    ) -> String {
        """
        cluster_name: \(cluster)
        node_id: \(nodeId)
        listen_address: \(listenAddress)
        listen_port: \(listenPort)
        health_period_ms: \(healthPeriodMs)
        data_dir: data
        run_dir: run
        log_dir: log
        api:
          listen_address: 127.0.0.1
          listen_port: \(apiPort)
        \(extra)
        """
    }

    /// Replaces the YAML file's content.
    public func write(yaml: String) throws {
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// The YAML file's content.
    public func readYAML() throws -> String { try String(contentsOfFile: configPath, encoding: .utf8) }

    /// The control socket path.
    public var socketPath: String { directory + "/run/pgraftd.sock" }

    /// Starts `pgraftd --config` with its output in `<dir>/pgraftd.out`.
    public func start() throws {
        let out = open(directory + "/pgraftd.out", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw SystemError("open \(directory)/pgraftd.out") }
        defer { close(out) }
        var command = (path: BuildProducts.path("pgraftd"), arguments: ["--config", configPath])
        if let host {
            command = host.lab.inside(host.node, [command.path] + command.arguments, privateSharedMemory: privateSharedMemory)
        }
        process = try SpawnedProcess(path: command.path, arguments: command.arguments, stdout: out, stderr: out)
    }

    /// What `pgraftd` printed.
    public var supervisorOutput: String {
        (try? String(contentsOfFile: directory + "/pgraftd.out", encoding: .utf8)) ?? ""
    }

    /// The node's status, or nil when the supervisor does not answer.
    public func status() -> NodeStatus? {
        try? ControlClient(socketPath: socketPath, timeoutSeconds: 5).send(ControlRequest(command: .status)).status
    }

    /// One component's status.
    public func component(_ name: String) -> ComponentStatus? {
        status()?.components.first { $0.name == name }
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` seconds pass; returns whether it held.
    @discardableResult
    public func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// Waits until every enabled component is RUNNING.
    @discardableResult
    public func waitAllRunning(timeout: Double = 30) -> Bool {
        waitUntil(timeout: timeout) {
            guard let status = status() else { return false }
            return status.components.allSatisfy { $0.state == "RUNNING" || $0.state == "DISABLED" }
        }
    }

    /// Runs `pgraftctl --config <file> ARGS`.
    public func ctl(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        guard let command = arguments.first else { return try CommandResult.run(BuildProducts.path("pgraftctl"), []) }
        var full = [command]
        var rest = Array(arguments.dropFirst())
        // `--config` belongs to the leaf command: after the subcommand of a command group.
        if ["config", "cluster", "kv", "log"].contains(command), let sub = rest.first {
            full.append(sub)
            rest.removeFirst()
        }
        return try CommandResult.run(
            BuildProducts.path("pgraftctl"), full + ["--config", configPath] + rest, environment: environment)
    }

    /// Sends SIGTERM and waits for the supervisor to exit; returns its exit status.
    @discardableResult
    public func stop(timeout: Double = 30) -> Int32? {
        guard let process, process.isRunning else { return self.process?.terminationStatus }
        kill(process.pid, SIGTERM)
        guard waitUntil(timeout: timeout, { !process.isRunning }) else {
            kill(process.pid, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// Stops the node if it still runs and removes the directory, and the segment a supervisor
    /// killed by the test left behind.
    public func cleanUp() {
        stop()
        if let config = try? NodeConfig.load(path: configPath) { _ = SharedSegment.unlink(name: config.segmentName) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension NodeSandbox {
    /// Two nodes of one cluster on loopback, each listing both as members (node 1 dials node 2),
    /// written but not started: `extra` goes into both files, `perNode(node, id)` into each one's.
    public static func pair(extra: String = "", perNode: (NodeSandbox, Int) throws -> String = { _, _ in "" }) throws -> (NodeSandbox, NodeSandbox) {
        let first = try NodeSandbox(extra: extra)
        let second = try NodeSandbox(extra: extra)
        let members = "members:\n  - id: 1\n    address: 127.0.0.1:\(first.listenPort)\n  - id: 2\n    address: 127.0.0.1:\(second.listenPort)\n"
        try first.write(yaml: first.readYAML() + members + perNode(first, 1))
        try second.write(
            yaml: second.readYAML().replacingOccurrences(of: "node_id: 1", with: "node_id: 2")
                .replacingOccurrences(of: "cluster_name: \(second.clusterName)", with: "cluster_name: \(first.clusterName)")
                + members + perNode(second, 2))
        return (first, second)
    }
}

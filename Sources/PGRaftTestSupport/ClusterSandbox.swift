import Foundation
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A throwaway cluster of real nodes on loopback: one `NodeSandbox` per member, all with the same
/// cluster name and members list. Conditions are waited for with deadlines.
public final class ClusterSandbox: @unchecked Sendable {
    /// The nodes; `nodes[i]` has node id `i + 1`.
    public private(set) var nodes: [NodeSandbox]
    /// The cluster's name.
    public let clusterName: String
    /// The Raft timing used by every node, in ms.
    public let heartbeatMs: Int
    /// The election timeout, in ms.
    public let electionTimeoutMs: Int
    private let extra: String
    private let supervisor: [String: String]

    /// Writes the configurations of `size` founding members; `extra` is appended to every YAML,
    /// `perNode(id)` to node `id`'s, and `supervisor` overrides keys of its `supervisor:` section.
    /// With `network`, node `i` runs on lab host `i` at its address, and the nodes prove a cluster
    /// secret to each other (their peer port is reachable from the other hosts).
    public init(
        size: Int = 3, heartbeatMs: Int = 50, electionTimeoutMs: Int = 500, extra: String = "", supervisor: [String: String] = [:],
        network: NetworkLab? = nil, perNode: (Int) -> String = { _ in "" }
    ) throws {
        clusterName = "c\(getpid())-\(UUID().uuidString.prefix(6).lowercased())"
        self.heartbeatMs = heartbeatMs
        self.electionTimeoutMs = electionTimeoutMs
        var extra = extra
        if network != nil { extra += "cluster_secret_file: \(try Self.writeSecret(name: clusterName))\n" }
        self.extra = extra
        self.supervisor = supervisor
        let ports = try LoopbackPorts.free(2 * size)
        let host: (Int) -> String = { network?.address($0) ?? "127.0.0.1" }
        let members = (1...size).map { "  - id: \($0)\n    address: \(host($0)):\(ports[2 * ($0 - 1)])" }.joined(separator: "\n")
        let name = clusterName
        nodes = try (1...size).map { id in
            let node = try NodeSandbox(
                cluster: name, nodeId: id, listenPort: ports[2 * (id - 1)], apiPort: ports[2 * (id - 1) + 1],
                extra: Self.settings(heartbeatMs, electionTimeoutMs, extra) + perNode(id) + "\nmembers:\n" + members + "\n", supervisor: supervisor,
                listenAddress: host(id))
            if let network { node.host = (network, id) }
            return node
        }
    }

    /// Writes a new cluster secret for cluster `name`, as `pgraftctl secret init` does, and returns its path.
    private static func writeSecret(name: String) throws -> String {
        try ClusterSecret.create(path: NSTemporaryDirectory() + "pgraft-secret-\(name)").path
    }

    private static func settings(_ heartbeatMs: Int, _ electionTimeoutMs: Int, _ extra: String) -> String {
        "heartbeat_interval: \(heartbeatMs)\nelection_timeout: \(electionTimeoutMs)\n" + extra + "\n"
    }

    /// Writes the configuration of a node that joins the running cluster (`initial_cluster_state:
    /// existing`) with the next id, `perNode` added to its YAML, and returns it (not started).
    public func addJoiningNode(perNode: String = "") throws -> NodeSandbox {
        let id = nodes.count + 1
        let ports = try LoopbackPorts.free(2)
        let members = (nodes.map { ($0.nodeId, $0.listenPort) } + [(id, ports[0])])
            .map { "  - id: \($0.0)\n    address: 127.0.0.1:\($0.1)" }.joined(separator: "\n")
        let node = try NodeSandbox(
            cluster: clusterName, nodeId: id, listenPort: ports[0], apiPort: ports[1],
            extra: Self.settings(heartbeatMs, electionTimeoutMs, extra) + perNode + "\ninitial_cluster_state: existing\nmembers:\n" + members + "\n",
            supervisor: supervisor)
        nodes.append(node)
        return node
    }

    /// Node `id` (1-based).
    public func node(_ id: Int) -> NodeSandbox { nodes[id - 1] }

    /// Starts every node and waits until all their components run.
    public func start(timeout: Double = 60) throws {
        for node in nodes { try node.start() }
        for node in nodes where !node.waitAllRunning(timeout: timeout) {
            throw ClusterFailure(description: "node \(node.nodeId) did not reach RUNNING:\n\(node.supervisorOutput)")
        }
    }

    /// The cluster state node `id` published, or nil (not running, nothing published yet).
    public func state(_ id: Int) -> ClusterStateSnapshot? {
        guard let segment = try? SharedSegment.attach(name: "/pgraft.\(clusterName).\(id)") else { return nil }
        return try? segment.readClusterState()
    }

    /// The leader that every node in `among` agrees on, waiting up to `timeout` seconds.
    public func waitForLeader(among: [Int]? = nil, timeout: Double = 20) -> Int? {
        let ids = among ?? nodes.map(\.nodeId)
        var agreed: Int?
        nodes[0].waitUntil(timeout: timeout) {
            let states = ids.map { state($0) }
            guard let first = states.first ?? nil, first.leaderId != 0, ids.contains(Int(first.leaderId)),
                states.allSatisfy({ $0?.leaderId == first.leaderId && $0?.term == first.term }),
                state(Int(first.leaderId))?.role == .leader
            else { return false }
            agreed = Int(first.leaderId)
            return true
        }
        return agreed
    }

    /// A client of node `id`'s consensus.
    public func client(_ id: Int) throws -> ConsensusTestClient {
        try ConsensusTestClient(socketPath: node(id).directory + "/run/consensus.sock")
    }

    /// Kills node `id` at once: `pgraftd` and every component with SIGKILL, as a power loss would;
    /// waits until they are gone.
    public func killNode(_ id: Int) {
        let node = self.node(id)
        let pids = node.status()?.components.compactMap(\.pid) ?? []
        if let process = node.process { kill(process.pid, SIGKILL) }
        for pid in pids { kill(pid, SIGKILL) }
        node.process?.waitUntilExit()
        node.waitUntil(timeout: 10) { pids.allSatisfy { !ProcessLiveness.isAlive(pid: $0, startTime: 0) } }
    }

    /// The pid of `component` on node `id`.
    public func pid(of component: String, on id: Int) -> Int32? {
        node(id).component(component)?.pid
    }

    /// What `component` of node `id` logged.
    public func log(_ component: String, on id: Int) -> String {
        (try? String(contentsOfFile: node(id).directory + "/log/\(component).log", encoding: .utf8)) ?? ""
    }

    /// Stops every node and removes their directories.
    public func cleanUp() {
        for node in nodes { node.cleanUp() }
        try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "pgraft-secret-\(clusterName)")
    }
}

/// A cluster that could not be brought to the state a test needs.
public struct ClusterFailure: Error, CustomStringConvertible {
    /// What happened.
    public let description: String

    /// A failure saying `description`.
    public init(description: String) {
        self.description = description
    }
}

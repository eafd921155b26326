import ArgumentParser
import CShims
import Foundation
import PGRaftAPI
import PGRaftCLI
import PGRaftKit

/// `pgraftctl cluster …`: the Raft cluster as this node sees it, and membership changes.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Show the cluster, change its membership, move its leadership.",
        subcommands: [ClusterStatus.self, ClusterAddNode.self, ClusterRemoveNode.self, ClusterTransferLeader.self])
}

/// `pgraftctl cluster status [--json]`.
struct ClusterStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Term, leader, indexes and members from the segment; with PostgreSQL, each member's server from the api.")

    @OptionGroup var node: NodeOptions

    @Flag(name: .long, help: "Print the JSON of GET /v1/cluster instead of a table.")
    var json = false

    func run() throws {
        let (config, segment) = try node.attachSegment()
        var view = ClusterView(clusterName: config.clusterName, nodeId: config.nodeId, state: try segment.readClusterState())
        // The members' PostgreSQL servers come from the api; without it, the Raft side alone.
        if config.postgres != nil, let body = try? node.api().call("GET", "/v1/cluster"),
            let full = try? JSONDecoder().decode(ClusterView.self, from: Data(body))
        {
            view = full
        }
        if json {
            print(String(decoding: try APIJSON.encode(view, pretty: true), as: UTF8.self))
        } else {
            print(ClusterStatusReport.render(view, nowMs: UInt64(max(0, pgr_wall_ms()))))
        }
    }
}

/// What the membership commands share: the node, the wait, and running the change.
struct MembershipOptions: ParsableArguments {
    @OptionGroup var node: NodeOptions

    @Option(name: .long, help: "Seconds to wait for consensus to complete the change.")
    var timeout: Double = 30

    /// Queues `change`, waits for its outcome and prints it.
    func run(_ change: MembershipChange) throws {
        guard timeout > 0 else { throw CLIError("--timeout must be more than 0 seconds, not \(timeout)") }
        let (_, segment) = try node.attachSegment()
        let status = try change.run(on: segment, timeout: timeout)
        print("done: \(change.summary) (committed at index \(status.resultIndex), term \(status.resultTerm))")
    }
}

/// `pgraftctl cluster add-node ID ADDRESS`.
struct ClusterAddNode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-node", abstract: "Add a node as a learner; it is promoted to voter once it has caught up.")

    @OptionGroup var options: MembershipOptions

    @Argument(help: "The new node's id (1…2147483647).")
    var id: String

    @Argument(help: "Its peer address, host:port (its listen_address:listen_port).")
    var address: String

    func run() throws { try options.run(try MembershipChange.addNode(id: id, address: address)) }
}

/// `pgraftctl cluster remove-node ID`.
struct ClusterRemoveNode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove-node", abstract: "Remove a node from the membership (a leader hands over first).")

    @OptionGroup var options: MembershipOptions

    @Argument(help: "The node's id.")
    var id: String

    func run() throws { try options.run(try MembershipChange.removeNode(id: id)) }
}

/// `pgraftctl cluster transfer-leader ID`.
struct ClusterTransferLeader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer-leader", abstract: "Hand leadership to a node (0: the most up-to-date other voter).")

    @OptionGroup var options: MembershipOptions

    @Argument(help: "The node to lead, or 0.")
    var id: String

    func run() throws { try options.run(try MembershipChange.transferLeader(id: id)) }
}

import ArgumentParser
import Foundation
import PGRaftCLI
import PGRaftKit

/// `pgraftctl status`: the node and its components.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the node's components: state, pid, restarts, uptime, last exit.")

    @OptionGroup var node: NodeOptions

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        guard let status = try node.sendExpectingSuccess(ControlRequest(command: .status)).status else {
            throw CLIError("the supervisor sent no status")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        print(
            "node \(status.nodeId) of cluster \(status.clusterName): pgraftd pid \(status.supervisorPid), "
                + "up \(formatDuration(status.uptimeSeconds)), config \(status.configPath)")
        let rows = status.components.map {
            [$0.name, $0.state, $0.pid.map(String.init) ?? "-", String($0.restarts), formatDuration($0.uptimeSeconds), $0.lastExit ?? "-"]
        }
        print(Table(header: ["COMPONENT", "STATE", "PID", "RESTARTS", "UPTIME", "LAST EXIT"], rows: rows).render())
    }
}

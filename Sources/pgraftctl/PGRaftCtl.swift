import ArgumentParser
import Foundation
import PGRaftCLI
import PGRaftKit

/// `pgraftctl`: the operator's command line for one pgraft node.
@main
struct PGRaftCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgraftctl",
        abstract: "Operate a pgraft node: its components, logs, configuration, cluster membership and data.",
        discussion: """
            The node is found through its configuration (--config, $PGRAFT_CONFIG, or /etc/pgraft/pgraft.yaml), \
            whose run_dir holds the supervisor's control socket, or directly with --socket.
            """,
        subcommands: [
            ListCommand.self, StatusCommand.self, RestartCommand.self, LogsCommand.self, ReloadCommand.self, StopCommand.self,
            ConfigCommand.self, ClusterCommand.self, KVCommand.self, LogCommand.self, SecretCommand.self, CertCommand.self,
        ])

    /// Accepts `--config` and `--socket` before the subcommand too (`pgraftctl --config F status`), as
    /// operators type them, by moving them after it.
    static func main() {
        main(Self.movingNodeOptionsAfterSubcommand(Array(CommandLine.arguments.dropFirst())))
    }

    static func movingNodeOptionsAfterSubcommand(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first, first == "--config" || first == "--socket", rest.count >= 2 {
            leading += rest.prefix(2)
            rest = rest.dropFirst(2)
        }
        guard !leading.isEmpty, let subcommand = rest.first else { return arguments }
        var result = [subcommand]
        rest = rest.dropFirst()
        if ["config", "cluster", "kv", "log"].contains(subcommand), let nested = rest.first, !nested.hasPrefix("-") {
            result.append(nested)
            rest = rest.dropFirst()
        }
        return result + leading + rest
    }
}

/// How a command finds the node: `--config FILE` or `--socket PATH`.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's YAML configuration (default: $PGRAFT_CONFIG or /etc/pgraft/pgraft.yaml).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("The supervisor's control socket (<run_dir>/pgraftd.sock), instead of --config.", valueName: "path"))
    var socket: String?

    /// The configuration file path in use.
    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["PGRAFT_CONFIG"] ?? "/etc/pgraft/pgraft.yaml"
    }

    /// Loads the configuration, or fails with its errors.
    func loadConfig() throws -> NodeConfig {
        do {
            return try NodeConfig.load(path: configPath)
        } catch {
            throw CLIError(error.description)
        }
    }

    /// The client for the node's supervisor.
    ///
    /// A file that no longer validates still names its `run_dir` on a line of its own most of the
    /// time; that line is enough to reach the running node (to reload, and hear why the file is refused).
    func client() throws -> ControlClient {
        if let socket { return ControlClient(socketPath: socket) }
        do {
            return ControlClient(socketPath: try loadConfig().controlSocketPath)
        } catch let error as CLIError {
            guard let runDir = Self.runDirLine(inFileAt: configPath) else { throw error }
            return ControlClient(socketPath: runDir + "/pgraftd.sock")
        }
    }

    /// The top-level `run_dir:` of a YAML file read as text, resolved against the file's directory.
    static func runDirLine(inFileAt path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("run_dir:") {
            var value = line.dropFirst("run_dir:".count).trimmingCharacters(in: .whitespaces)
            if let hash = value.range(of: " #") { value = String(value[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces) }
            value = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            guard !value.isEmpty else { return nil }
            if value.hasPrefix("/") { return value }
            return (((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(value) as NSString)
                .standardizingPath
        }
        return nil
    }

    /// Sends `request`; a refused request becomes an error carrying the supervisor's message.
    func send(_ request: ControlRequest) throws -> ControlResponse {
        let response: ControlResponse
        do {
            response = try client().send(request)
        } catch let error as ControlClientError {
            throw CLIError(error.description)
        }
        return response
    }

    /// Sends `request` and fails unless the supervisor accepted it.
    func sendExpectingSuccess(_ request: ControlRequest) throws -> ControlResponse {
        let response = try send(request)
        guard response.ok else { throw CLIError(response.error ?? "request failed") }
        return response
    }
}

/// Waits for `condition` with a deadline, polling every 50 ms.
func waitUntil(timeoutSeconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

/// "3d4h", "12m3s", "4.2s".
func formatDuration(_ seconds: Double?) -> String {
    guard let seconds else { return "-" }
    let total = Int(seconds)
    if total < 60 { return String(format: "%.1fs", seconds) }
    if total < 3600 { return "\(total / 60)m\(total % 60)s" }
    if total < 86400 { return "\(total / 3600)h\(total % 3600 / 60)m" }
    return "\(total / 86400)d\(total % 86400 / 3600)h"
}

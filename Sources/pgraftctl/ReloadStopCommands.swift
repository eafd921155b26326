import ArgumentParser
import Foundation
import PGRaftCLI
import PGRaftKit

/// `pgraftctl reload`: the supervisor re-reads its YAML file.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Re-read the YAML file: an invalid one is refused; a valid one restarts only what changed.")

    @OptionGroup var node: NodeOptions

    func run() throws {
        let response = try node.send(ControlRequest(command: .reload))
        try report(response)
    }
}

/// Prints what a reload did, or fails with why it was refused.
func report(_ response: ControlResponse) throws {
    guard let result = response.reload else { throw CLIError(response.error ?? "the supervisor sent no reload result") }
    guard result.applied else {
        throw CLIError("reload refused, the running configuration is kept:\n" + result.errors.joined(separator: "\n"))
    }
    var parts: [String] = []
    if !result.restarted.isEmpty { parts.append("restarted " + result.restarted.joined(separator: ", ")) }
    if !result.started.isEmpty { parts.append("started " + result.started.joined(separator: ", ")) }
    if !result.stopped.isEmpty { parts.append("stopped " + result.stopped.joined(separator: ", ")) }
    print("reloaded: " + (parts.isEmpty ? "no component affected" : parts.joined(separator: "; ")))
}

/// `pgraftctl stop`: stops the node as SIGTERM does.
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop the node: components in reverse order, then the supervisor.")

    @OptionGroup var node: NodeOptions

    @Option(name: .long, help: "Seconds to wait for the supervisor to exit (0: do not wait).")
    var timeout: Double = 60

    func run() throws {
        let client = try node.client()
        guard let pid = try node.sendExpectingSuccess(ControlRequest(command: .status)).status?.supervisorPid else {
            throw CLIError("the supervisor sent no status")
        }
        _ = try node.sendExpectingSuccess(ControlRequest(command: .stop))
        guard timeout > 0 else {
            print("stop requested")
            return
        }
        let gone = waitUntil(timeoutSeconds: timeout) {
            processIsGone(pid) && !FileManager.default.fileExists(atPath: client.socketPath)
        }
        guard gone else { throw CLIError("pgraftd (pid \(pid)) is still running after \(timeout) s") }
        print("stopped")
    }
}

/// True when `pid` no longer runs: no such process, or a zombie its parent has not reaped yet.
func processIsGone(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return true }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}

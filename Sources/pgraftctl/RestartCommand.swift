import ArgumentParser
import Foundation
import PGRaftCLI
import PGRaftKit

/// `pgraftctl restart NAME`: restarts one component and waits until it is running again.
struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Restart one component and wait until it is RUNNING again.")

    @OptionGroup var node: NodeOptions

    @Argument(help: "The component: storage, consensus, transport, bridge, api, or one of your own.")
    var name: String

    @Option(name: .long, help: "Seconds to wait for RUNNING (0: do not wait).")
    var timeout: Double = 30

    func run() throws {
        let before = try currentStatus()
        _ = try node.sendExpectingSuccess(ControlRequest(command: .restart, component: name))
        guard timeout > 0 else {
            print("restart of \(name) requested")
            return
        }
        var after = before
        let done = try waitUntil(timeoutSeconds: timeout) {
            after = try currentStatus()
            return after?.state == "RUNNING" && after?.pid != nil && after?.pid != before?.pid
                || failedAgain(before: before, after: after)
        }
        if failedAgain(before: before, after: after) {
            throw CLIError(
                "\(name) failed again (\(after?.lastExit ?? "no exit recorded")) and stays FAILED: a restart cannot repair what it found; see pgraftctl logs \(name)")
        }
        guard done, let after else {
            throw CLIError("\(name) is not RUNNING again after \(timeout) s (state \(after?.state ?? "unknown")); see pgraftctl logs \(name)")
        }
        print("\(name) restarted: pid \(before?.pid.map(String.init) ?? "-") -> \(after.pid!)")
    }

    /// Whether the component was started again and ended FAILED (damage it reports a restart cannot repair).
    private func failedAgain(before: ComponentStatus?, after: ComponentStatus?) -> Bool {
        guard let after, after.state == "FAILED" else { return false }
        return after.restarts > (before?.restarts ?? 0)
    }

    private func currentStatus() throws -> ComponentStatus? {
        try node.sendExpectingSuccess(ControlRequest(command: .status)).status?.components.first { $0.name == name }
    }
}

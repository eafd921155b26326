import Foundation
import PGRaftKit
import PGRaftTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// A real `pgraftd` with its real component processes, driven from outside as an operator would.
    /// Every wait has a deadline; none is a fixed sleep.
    @Suite final class NodeLifecycleTests {
        static let builtins = ["storage", "consensus", "transport", "bridge", "api"]
        /// Restarts count as first restarts again after 200 ms.
        static let supervisorSettings = ["backoff_reset_ms": "200"]

        var sandboxes: [NodeSandbox] = []

        deinit {
            sandboxes.forEach { $0.cleanUp() }
        }

        func startNode(extra: String = "", supervisor: [String: String] = NodeLifecycleTests.supervisorSettings) throws
            -> NodeSandbox
        {
            let node = try NodeSandbox(extra: extra, supervisor: supervisor)
            sandboxes.append(node)
            try node.start()
            #expect(node.waitAllRunning(timeout: 60), "node did not come up:\n\(node.supervisorOutput)")
            return node
        }

        func pids(_ node: NodeSandbox) -> [String: Int32] {
            Dictionary(uniqueKeysWithValues: (node.status()?.components ?? []).compactMap { c in c.pid.map { (c.name, $0) } })
        }

        @Test func everyComponentReachesRunningInOrderAndStatusJSONDescribesThem() throws {
            let node = try startNode()
            let result = try node.ctl(["status", "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
            #expect(object["node_id"] as? Int == 1)
            #expect(object["cluster_name"] as? String == node.clusterName)
            let components = object["components"] as! [[String: Any]]
            #expect(components.map { $0["name"] as? String } == Self.builtins)
            for component in components {
                #expect(component["state"] as? String == "RUNNING")
                #expect((component["pid"] as? Int ?? 0) > 0)
                #expect(component["restarts"] as? Int == 0)
                #expect(component["uptime_s"] is Double)
            }
            let table = try node.ctl(["status"])
            #expect(table.stdout.contains("COMPONENT"))
            #expect(table.stdout.split(separator: "\n").filter { $0.contains("RUNNING") }.count == 5)
            // Each component is started only once the one before it is ready.
            let log = node.supervisorOutput
            for (previous, next) in zip(Self.builtins, Self.builtins.dropFirst()) {
                let ready = log.range(of: "\(previous) is ready")?.lowerBound
                let started = log.range(of: "started \(next)")?.lowerBound
                #expect(ready != nil && started != nil && ready! < started!, "\(next) started before \(previous) was ready:\n\(log)")
            }
        }

        @Test func killingEachComponentRestartsOnlyThatOne() throws {
            let node = try startNode()
            for (round, name) in Self.builtins.enumerated() {
                let before = pids(node)
                kill(before[name]!, SIGKILL)
                let back = node.waitUntil(timeout: 20) {
                    guard let c = node.component(name) else { return false }
                    return c.state == "RUNNING" && c.pid != before[name]
                }
                #expect(back, "\(name) did not come back")
                let after = pids(node)
                for other in Self.builtins where other != name {
                    #expect(after[other] == before[other], "\(other) was disturbed by the kill of \(name)")
                }
                let component = node.component(name)
                #expect(component?.restarts == 1, "round \(round)")
                #expect(component?.lastExit?.contains("SIGKILL") == true)
            }
        }

        @Test func aHungComponentIsKilledAndRestartedByTheWatchdog() throws {
            // A watchdog of 10 periods of 100 ms.
            let node = try startNode(supervisor: ["heartbeat_misses": "10"])
            let before = pids(node)
            kill(before["consensus"]!, SIGSTOP)
            let back = node.waitUntil(timeout: 20) {
                guard let c = node.component("consensus") else { return false }
                return c.state == "RUNNING" && c.pid != before["consensus"]
            }
            #expect(back, "a stopped consensus was not replaced:\n\(node.supervisorOutput)")
            #expect(node.supervisorOutput.contains("no heartbeat"))
            #expect(node.component("consensus")?.restarts == 1)
            let after = pids(node)
            for other in Self.builtins where other != "consensus" { #expect(after[other] == before[other], "\(other)") }
        }

        @Test func pgraftctlRestartRestartsOnlyThatComponent() throws {
            let node = try startNode()
            let before = pids(node)
            let result = try node.ctl(["restart", "transport"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("transport restarted"))
            let after = pids(node)
            #expect(after["transport"] != before["transport"])
            for other in Self.builtins where other != "transport" { #expect(after[other] == before[other]) }
            #expect(node.component("transport")?.restarts == 1)
        }

        @Test func unknownComponentsAreRefusedWithTheKnownNames() throws {
            let node = try startNode()
            let result = try node.ctl(["restart", "transprot"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("unknown component 'transprot'"))
            #expect(result.stderr.contains("storage, consensus, transport, bridge, api"))
            let logs = try node.ctl(["logs", "nope"])
            #expect(logs.status == 1)
            #expect(logs.stderr.contains("unknown component 'nope'"))
        }

        @Test func logsPrintTheLastLinesOfAComponent() throws {
            let node = try startNode()
            let path = node.directory + "/log/consensus.log"
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.count >= 2)
            let result = try node.ctl(["logs", "consensus", "--lines", "5"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.split(separator: "\n") == Array(lines.suffix(5)))
            let supervisor = try node.ctl(["logs", "pgraftd", "--lines", "1"])
            #expect(supervisor.stdout.split(separator: "\n").count == 1)
        }

        @Test func logsFollowKeepsPrintingAcrossRotations() throws {
            let node = try startNode(extra: "log:\n  max_bytes: 4096\n  keep: 2")
            let outPath = node.directory + "/follow.out"
            let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            defer { close(out) }
            let follower = try SpawnedProcess(
                path: BuildProducts.path("pgraftctl"),
                arguments: ["logs", "api", "--follow", "--lines", "0", "--config", node.configPath], stdout: out, stderr: out)
            defer {
                kill(follower.pid, SIGKILL)
                follower.waitUntilExit()
            }
            func followed() -> String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
            // Each restart writes a few lines: restart until the 4 KiB file has rotated twice.
            var rounds = 0
            while rounds < 100 && !FileManager.default.fileExists(atPath: node.directory + "/log/api.log.2") {
                rounds += 1
                let result = try node.ctl(["restart", "api"])
                #expect(result.status == 0, "round \(rounds): \(result.stderr)")
            }
            #expect(FileManager.default.fileExists(atPath: node.directory + "/log/api.log.2"), "the log never rotated")
            #expect(node.waitUntil(timeout: 10) { followed().components(separatedBy: "serving HTTP").count - 1 == rounds }, "\(followed())")
        }

        @Test func reloadWithAChangedAPIPortRestartsOnlyTheAPI() throws {
            let node = try startNode()
            let before = pids(node)
            let newPort = try LoopbackPorts.free(1)[0]
            try node.write(yaml: node.readYAML().replacingOccurrences(of: "listen_port: \(node.apiPort)", with: "listen_port: \(newPort)"))
            let result = try node.ctl(["reload"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("restarted api"))
            #expect(node.waitUntil(timeout: 20) { node.component("api")?.state == "RUNNING" && node.component("api")?.pid != before["api"] })
            let after = pids(node)
            for other in Self.builtins where other != "api" { #expect(after[other] == before[other]) }
            #expect(try HTTP.get(port: newPort, path: "/health").status == 200)
        }

        @Test func reloadWithABrokenFileKeepsEverythingRunning() throws {
            let node = try startNode()
            let before = pids(node)
            try node.write(yaml: node.readYAML() + "listen_port: [oops\n")
            let result = try node.ctl(["reload"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("reload refused"))
            #expect(result.stderr.contains(node.configPath + ":"))
            kill(node.process!.pid, SIGHUP)
            #expect(node.waitUntil(timeout: 10) { node.supervisorOutput.components(separatedBy: "reload refused").count >= 2 })
            #expect(pids(node) == before)
            #expect(node.status()?.components.allSatisfy { $0.state == "RUNNING" } == true)
        }

        @Test func sigtermStopsEverythingAndLeavesNothingBehind() throws {
            let node = try startNode()
            let children = Array(pids(node).values)
            let config = try NodeConfig.load(path: node.configPath)
            #expect(FileManager.default.fileExists(atPath: "/dev/shm" + config.segmentName))
            #expect(node.stop() == 0)
            for pid in children { #expect(kill(pid, 0) != 0, "component pid \(pid) survived") }
            #expect(!FileManager.default.fileExists(atPath: "/dev/shm" + config.segmentName))
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: node.directory + "/run")) ?? []
            #expect(leftovers.filter { $0.hasSuffix(".sock") }.isEmpty, "\(leftovers)")
            let log = node.supervisorOutput
            let order = Self.builtins.reversed().compactMap { log.range(of: "\($0) stopped")?.lowerBound }
            #expect(order.count == 5 && order == order.sorted(), "components must stop in reverse order:\n\(log)")
        }

        @Test func pgraftctlStopStopsTheNode() throws {
            let node = try startNode()
            let result = try node.ctl(["stop"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(node.waitUntil(timeout: 10) { !(node.process?.isRunning ?? false) })
            #expect(node.process?.terminationStatus == 0)
        }

        @Test func componentsDieWithTheSupervisor() throws {
            let node = try startNode()
            let children = Array(pids(node).values)
            kill(node.process!.pid, SIGKILL)
            #expect(node.waitUntil(timeout: 15) { children.allSatisfy { kill($0, 0) != 0 } })
            // A new supervisor takes over the stale segment and run directory.
            try node.start()
            #expect(node.waitAllRunning(timeout: 60), "restart after kill -9:\n\(node.supervisorOutput)")
        }

        @Test func aSecondSupervisorForTheSameNodeIsRefusedAndTheFirstKeepsRunning() throws {
            let node = try startNode()
            let before = pids(node)
            let second = try CommandResult.run(BuildProducts.path("pgraftd"), ["--config", node.configPath])
            #expect(second.status == 1)
            #expect(second.stderr.contains("in use by another pgraftd (pid \(node.process!.pid))"), "\(second.stderr)")
            #expect(pids(node) == before)
            for file in ["pgraftd.sock", "consensus.sock", "effective.yaml", "pgraftd.lock"] {
                #expect(FileManager.default.fileExists(atPath: node.directory + "/run/" + file), "the refused pgraftd removed \(file)")
            }
            #expect(node.status()?.components.allSatisfy { $0.state == "RUNNING" } == true)
        }

        @Test func aBrokenFileAtStartStartsNothingAndNamesLineAndColumn() throws {
            let node = try NodeSandbox()
            sandboxes.append(node)
            try node.write(yaml: node.readYAML() + "election_timeout: soon\n")
            try node.start()
            node.process!.waitUntilExit()
            #expect(node.process!.terminationStatus == 1)
            let output = node.supervisorOutput
            #expect(output.contains(node.configPath + ":"))
            #expect(output.range(of: #":\d+:\d+: "#, options: .regularExpression) != nil, "\(output)")
            #expect(!FileManager.default.fileExists(atPath: node.directory + "/run"))
            let check = try CommandResult.run(BuildProducts.path("pgraftd"), ["--check", node.configPath])
            #expect(check.status == 1)
            #expect(check.stderr.contains("election_timeout"))
        }
    }
}

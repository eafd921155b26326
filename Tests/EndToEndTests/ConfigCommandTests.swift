import Foundation
import PGRaftKit
import PGRaftTestSupport
import Testing

extension EndToEnd {
    /// `pgraftctl config check|show|edit` against a running node.
    @Suite final class ConfigCommandTests {
        var sandboxes: [NodeSandbox] = []

        deinit {
            sandboxes.forEach { $0.cleanUp() }
        }

        func runningNode() throws -> NodeSandbox {
            let node = try NodeSandbox()
            sandboxes.append(node)
            try node.start()
            #expect(node.waitAllRunning(timeout: 60))
            return node
        }

        @Test func checkPrintsOKOrTheErrors() throws {
            let node = try NodeSandbox()
            sandboxes.append(node)
            let ok = try CommandResult.run(BuildProducts.path("pgraftctl"), ["config", "check", node.configPath])
            #expect(ok.status == 0)
            #expect(ok.stdout == "OK\n")
            try node.write(yaml: node.readYAML() + "listen_prot: 5\n")
            let bad = try CommandResult.run(BuildProducts.path("pgraftctl"), ["config", "check", node.configPath])
            #expect(bad.status == 1)
            #expect(bad.stderr.contains("listen_prot"))
            #expect(bad.stderr.contains(node.configPath + ":"))
        }

        @Test func showPrintsTheConfigurationInForceWithDefaults() throws {
            let node = try runningNode()
            let result = try node.ctl(["config", "show"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("election_timeout: 1000"))
            #expect(result.stdout.contains("heartbeat_interval: 100"))
            #expect(result.stdout.contains(node.directory + "/data"))
        }

        @Test func aValidEditIsWrittenDiffedAndReloaded() throws {
            let node = try runningNode()
            let before = node.component("api")?.pid
            let newPort = try LoopbackPorts.free(1)[0]
            let result = try node.ctl(
                ["config", "edit"], environment: ["EDITOR": "sed -i s/listen_port:\\ \(node.apiPort)/listen_port:\\ \(newPort)/", "VISUAL": ""])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("+  listen_port: \(newPort)"), "\(result.stdout)")
            #expect(result.stdout.contains("restarted api"))
            #expect(try node.readYAML().contains("listen_port: \(newPort)"))
            #expect(node.waitUntil(timeout: 20) { node.component("api")?.state == "RUNNING" && node.component("api")?.pid != before })
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: node.directory).filter { $0.contains(".edit-") }
            #expect(leftovers.isEmpty)
        }

        @Test func anInvalidEditIsRefusedAndTheFileLeftAsItWas() throws {
            let node = try runningNode()
            let original = try node.readYAML()
            let result = try node.ctl(["config", "edit"], environment: ["EDITOR": "sed -i s/node_id:\\ 1/node_id:\\ zero/", "VISUAL": ""])
            #expect(result.status == 1)
            #expect(result.stderr.contains("edit refused"))
            #expect(result.stderr.contains("node_id"))
            #expect(try node.readYAML() == original)
            #expect(node.status()?.components.allSatisfy { $0.state == "RUNNING" } == true)
        }

        @Test func anEditChangingTheNodeIdentityIsRefused() throws {
            let node = try runningNode()
            let original = try node.readYAML()
            let result = try node.ctl(["config", "edit"], environment: ["EDITOR": "sed -i s/node_id:\\ 1/node_id:\\ 2/", "VISUAL": ""])
            #expect(result.status == 1)
            #expect(result.stderr.contains("node_id"))
            #expect(try node.readYAML() == original)
        }
    }
}

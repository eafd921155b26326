import PGRaftKit
import Testing

@testable import PGRaftSupervisor

/// Which components a reload touches, from the two configurations alone.
@Suite struct ReloadPlanTests {
    private static let base = """
        cluster_name: demo
        node_id: 1
        listen_address: 127.0.0.1
        listen_port: 7001
        members:
          - id: 1
            address: 127.0.0.1:7001
        data_dir: data
        run_dir: run
        log_dir: log
        api:
          listen_port: 8001

        """

    private func config(_ yaml: String) throws -> NodeConfig {
        try NodeConfig.parse(yaml: yaml, file: "test.yaml", baseDirectory: "/tmp/pgraft-reload-plan")
    }

    @Test func anUnchangedFileTouchesNothing() throws {
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(Self.base))
        #expect(plan.isEmpty)
        #expect(plan.refusals.isEmpty)
    }

    @Test func aChangedAPIPortRestartsOnlyTheAPI() throws {
        let new = Self.base.replacingOccurrences(of: "listen_port: 8001", with: "listen_port: 8002")
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(new))
        #expect(plan == ReloadPlan(refusals: [], restart: ["api"], start: [], stop: []))
    }

    @Test func aChangedPeerPortRestartsTransportOnly() throws {
        let new = Self.base.replacingOccurrences(of: "listen_port: 7001", with: "listen_port: 7005")
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(new))
        #expect(plan.restart == ["transport"])
    }

    @Test func debugEnabledRestartsEveryComponent() throws {
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(Self.base + "debug_enabled: true\n"))
        #expect(plan.restart == ["storage", "consensus", "transport", "bridge", "api"])
    }

    @Test func disablingAndAddingComponentsStopsAndStartsThem() throws {
        let new = Self.base + """
            components:
              bridge:
                enabled: false
              exporter:
                command: /bin/sleep
                args: ["1000"]

            """
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(new))
        #expect(plan.stop == ["bridge"])
        #expect(plan.start == ["exporter"])
        #expect(plan.restart.isEmpty)
    }

    @Test func identityChangesAreRefused() throws {
        let new = Self.base.replacingOccurrences(of: "node_id: 1", with: "node_id: 2")
            .replacingOccurrences(of: "id: 1", with: "id: 2")
        let plan = ReloadPlan.make(old: try config(Self.base), new: try config(new))
        #expect(plan.refusals.count == 1)
        #expect(plan.refusals.first?.contains("node_id") == true)
    }
}

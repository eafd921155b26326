import Foundation
import Testing

@testable import PGRaftKit

@Suite struct ControlMessagesTests {
    /// `pgraftctl status --json` promises these keys to scripts.
    @Test func statusJSONUsesTheDocumentedKeys() throws {
        let status = NodeStatus(
            nodeId: 3, clusterName: "demo", supervisorPid: 10, uptimeSeconds: 1.5, configPath: "/etc/pgraft.yaml",
            components: [
                ComponentStatus(
                    name: "api", state: "RUNNING", pid: 11, restarts: 2, uptimeSeconds: 0.5, lastExit: "exit 1",
                    logFile: "/log/api.log")
            ])
        let frame = try ControlCodec.frame(ControlResponse(ok: true, status: status), type: ControlFrameType.response)
        let object = try JSONSerialization.jsonObject(with: Data(frame.payload)) as! [String: Any]
        let node = object["status"] as! [String: Any]
        #expect(node["node_id"] as? Int == 3)
        #expect(node["cluster_name"] as? String == "demo")
        let component = (node["components"] as! [[String: Any]])[0]
        #expect(Set(component.keys) == ["name", "state", "pid", "restarts", "uptime_s", "last_exit", "log_file"])
        #expect(try ControlCodec.decode(ControlResponse.self, from: frame).status == status)
    }

    @Test func requestsRoundTrip() throws {
        let request = ControlRequest(command: .logPath, component: "consensus")
        let frame = try ControlCodec.frame(request, type: ControlFrameType.request)
        #expect(try ControlCodec.decode(ControlRequest.self, from: frame) == request)
        #expect(String(decoding: frame.payload, as: UTF8.self) == #"{"command":"log_path","component":"consensus"}"#)
    }
}

import CShims
import PGRaftKit

/// What `GET /v1/node` returns: the node and every component's state from the segment.
struct NodeView: Encodable {
    let nodeId: Int
    let clusterName: String
    let components: [ComponentStatus]

    enum CodingKeys: String, CodingKey {
        case nodeId = "node_id"
        case clusterName = "cluster_name"
        case components
    }

    /// The node of `config`, its components read from `segment` (none without one).
    init(config: NodeConfig, segment: SharedSegment?) {
        var components: [ComponentStatus] = []
        if let segment {
            let nowMs = pgr_wall_ms()
            for index in 0..<segment.componentCapacity {
                let slot = segment.componentSlot(at: index)
                let name = slot.name
                guard !name.isEmpty else { continue }
                let state = slot.state
                let alive = state == .starting || state == .running || state == .stopping
                let exit = slot.lastExit
                components.append(
                    ComponentStatus(
                        name: name, state: state.displayName, pid: alive ? slot.pid : nil, restarts: Int(slot.restarts),
                        uptimeSeconds: alive ? Double(nowMs - Int64(slot.startedAtMs)) / 1000 : nil,
                        lastExit: exit == .none ? nil : exit.description, logFile: config.logFilePath(component: name)))
            }
        }
        nodeId = config.nodeId
        clusterName = config.clusterName
        self.components = components
    }
}

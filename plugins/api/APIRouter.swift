import CShims
import Foundation
import PGRaftKit

/// An HTTP answer: status, JSON body and extra headers.
struct APIResponse {
    var status: Int
    var body: [UInt8]
    var headers: [(String, String)] = []

    static func json<T: Encodable>(_ status: Int, _ value: T) -> APIResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)).map { Array($0) + [UInt8(ascii: "\n")] } ?? []
        return APIResponse(status: status, body: body)
    }

    static func error(_ status: Int, _ message: String) -> APIResponse {
        json(status, ["error": message])
    }
}

/// Maps a request to a response. Pure apart from reading the segment, so every route is easy to reason about.
struct APIRouter: Sendable {
    let config: NodeConfig
    let segment: SharedSegment?

    private struct Route {
        let path: String
        let methods: [String]
    }

    private static let routes = [
        Route(path: "/health", methods: ["GET", "HEAD"]),
        Route(path: "/v1/node", methods: ["GET", "HEAD"]),
    ]

    func respond(method: String, uri: String) -> APIResponse {
        let path = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        guard let route = Self.routes.first(where: { $0.path == path }) else {
            return .error(404, "no such endpoint: \(path); endpoints: \(Self.routes.map(\.path).joined(separator: ", "))")
        }
        guard route.methods.contains(method) else {
            var response = APIResponse.error(405, "\(method) is not allowed on \(path); allowed: \(route.methods.joined(separator: ", "))")
            response.headers.append(("Allow", route.methods.joined(separator: ", ")))
            return response
        }
        switch path {
        case "/health":
            return .json(200, Health(status: "ok", nodeId: config.nodeId))
        default:
            return .json(200, node())
        }
    }

    /// What `GET /health` returns while the node works.
    struct Health: Encodable {
        let status: String
        let nodeId: Int

        enum CodingKeys: String, CodingKey {
            case status
            case nodeId = "node_id"
        }
    }

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
    }

    private func node() -> NodeView {
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
        return NodeView(nodeId: config.nodeId, clusterName: config.clusterName, components: components)
    }
}

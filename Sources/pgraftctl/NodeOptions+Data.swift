import Foundation
import PGRaftAPI
import PGRaftCLI
import PGRaftKit

extension NodeOptions {
    /// The node's shared segment, attached by the name its configuration gives.
    func attachSegment() throws -> (NodeConfig, SharedSegment) {
        let config = try loadConfig()
        do {
            return (config, try SharedSegment.attach(name: config.segmentName))
        } catch {
            throw CLIError("cannot read the shared segment of node \(config.nodeId): \(error)")
        }
    }

    /// The node's HTTP API, from its configuration's `api` section.
    func api() throws -> NodeAPI {
        NodeAPI(config: try loadConfig())
    }
}

/// Writes `bytes` to standard output as they are.
func writeStandardOutput(_ bytes: [UInt8]) {
    FileHandle.standardOutput.write(Data(bytes))
}

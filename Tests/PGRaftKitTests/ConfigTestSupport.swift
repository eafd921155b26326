import Foundation
import Testing

@testable import PGRaftKit

/// Helpers shared by the configuration tests.
enum ConfigFixture {
    /// The smallest valid file: only the required keys.
    static let minimal = """
        cluster_name: demo
        node_id: 1
        listen_port: 7001
        data_dir: data/node1
        run_dir: run/node1
        log_dir: log/node1

        """

    /// Parses `yaml` as file `t.yaml` in `/etc/pgraft`.
    static func parse(_ yaml: String) throws -> NodeConfig {
        try NodeConfig.parse(yaml: yaml, file: "t.yaml", baseDirectory: "/etc/pgraft")
    }

    /// The error lines `yaml` produces (empty when it is valid).
    static func errors(_ yaml: String) -> [String] {
        do {
            _ = try NodeConfig.parse(yaml: yaml, file: "t.yaml", baseDirectory: "/etc/pgraft")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    /// The repository's `etc` directory, found from this source file (through symlinks).
    static var etcDirectory: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("etc")
    }
}

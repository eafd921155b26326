import ArgumentParser
import PGRaftCLI
import PGRaftKit

/// `pgraftctl secret …`: the cluster secret peers prove at the handshake.
struct SecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret", abstract: "Make the cluster secret that peers prove to each other (cluster_secret_file).",
        subcommands: [SecretInit.self])
}

/// `pgraftctl secret init FILE`.
struct SecretInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a new random cluster secret to FILE (owner-only, never over an existing file).",
        discussion: """
            Copy the same file to every node (keeping it owner-only, for the user pgraftd runs as) and name it in \
            each node's cluster_secret_file; then restart the transports (pgraftctl restart transport), or reload.
            """)

    @Argument(help: "The file to create.")
    var file: String

    func run() throws {
        do {
            let secret = try ClusterSecret.create(path: file)
            print("wrote a new cluster secret to \(secret.path) (mode 0600); copy it to every node and set cluster_secret_file")
        } catch {
            throw CLIError(error.description)
        }
    }
}

import ArgumentParser
import PGRaftCLI
import PGRaftKit
import PGRaftTLS

/// `pgraftctl cert …`: a small certificate authority for the peer port's and the API's TLS.
struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Make a cluster certificate authority and node certificates for tls: and api.tls:.",
        discussion: """
            For a test or small cluster. A larger one may use its own authority: pgraft accepts any certificate \
            that chains to tls.ca_file and names the node (pgraft://CLUSTER/node/ID, or the host of its address).
            """,
        subcommands: [CertInit.self, CertIssue.self])
}

/// `pgraftctl cert init DIR`.
struct CertInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create an authority in DIR: ca.crt (give it to every node as ca_file) and ca.key (keep it safe).")

    @Argument(help: "The directory to create it in.")
    var directory: String

    @Option(help: "The authority's name.")
    var name = "pgraft cluster authority"

    @Option(help: "Days it stays valid.")
    var days = 3650

    func validate() throws {
        guard days > 0 else { throw ValidationError("--days must be at least 1, not \(days)") }
    }

    func run() throws {
        do {
            _ = try CertificateFiles.createAuthority(in: directory, name: name, days: days)
            print("created \(CertificateFiles.authorityCertificate(in: directory)) and \(CertificateFiles.authorityKey(in: directory)) (mode 0600)")
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// `pgraftctl cert issue`.
struct CertIssue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a node's certificate and key (OUT.crt, OUT.key), signed by the authority in --ca.",
        discussion: "Issuing again replaces both files atomically: a running transport uses the renewed ones for its next connections.")

    @Option(help: "The authority's directory (pgraftctl cert init).")
    var ca: String

    @Option(help: "The node's node_id.")
    var nodeId: UInt64

    @Option(help: "The cluster_name.")
    var cluster: String

    @Option(help: "A host name or IP address the node is reached at (repeat for several).")
    var host: [String] = []

    @Option(help: "Days it stays valid.")
    var days = 825

    @Option(help: "The files to write: OUT.crt and OUT.key.")
    var out: String

    func validate() throws {
        guard days > 0 else { throw ValidationError("--days must be at least 1, not \(days)") }
        guard nodeId >= 1, nodeId <= UInt64(Int32.max) else { throw ValidationError("--node-id must be 1 … 2147483647, not \(nodeId)") }
        if let problem = NodeConfig.clusterNameProblem(cluster) { throw ValidationError("--cluster: \(problem)") }
    }

    func run() throws {
        do {
            let authority = try CertificateFiles.loadAuthority(in: ca)
            let paths = try CertificateFiles.issue(by: authority, nodeId: nodeId, cluster: cluster, hosts: host, days: days, prefix: out)
            let names = (["pgraft://\(cluster)/node/\(nodeId)"] + host).joined(separator: ", ")
            print("wrote \(paths.certificate) and \(paths.key) (mode 0600) for \(names), valid \(days) days")
        } catch {
            throw CLIError("\(error)")
        }
    }
}

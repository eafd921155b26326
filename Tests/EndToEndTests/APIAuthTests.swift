import Foundation
import PGRaftCLI
import PGRaftKit
import PGRaftTLS
import PGRaftTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// A real node with `api.token_file`: writes need the token, health checks do not, pgraftctl
    /// sends it; and the node's private files stay owner-only.
    @Suite final class APIAuthTests {
        var sandboxes: [NodeSandbox] = []

        deinit {
            sandboxes.forEach { $0.cleanUp() }
        }

        static let token = "e2e-token-5b1d0c9e7a2f4d68"

        /// A node (not started) whose `api.token_file` holds `tokens`, owner-only.
        func node(tokens: String) throws -> NodeSandbox {
            let node = try NodeSandbox()
            sandboxes.append(node)
            let path = node.directory + "/api.tokens"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(tokens.utf8)))
            chmod(path, 0o600)
            try node.write(yaml: node.readYAML().replacingOccurrences(of: "api:\n", with: "api:\n  token_file: \(path)\n"))
            return node
        }

        @Test func writesNeedTheTokenHealthChecksDoNotAndPgraftctlSendsIt() throws {
            let node = try node(tokens: "# e2e\n\(Self.token)\n")
            try node.start()
            #expect(node.waitAllRunning(timeout: 60), "\(node.supervisorOutput)")

            let bearer = [("Authorization", "Bearer \(Self.token)")]
            let client = BlockingHTTPClient(host: "127.0.0.1", port: node.apiPort, timeoutSeconds: 10)
            #expect(node.waitUntil(timeout: 30) { (try? client.request("PUT", "/v1/kv/k", body: Array("v".utf8), headers: bearer))?.status == 200 })
            let refused = try client.request("PUT", "/v1/kv/k", body: Array("w".utf8))
            #expect(refused.status == 401)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("needs a bearer token"))
            #expect(try client.request("GET", "/health").status == 200)
            #expect(try client.request("GET", "/v1/kv/k").status == 200)

            // pgraftctl reads the token file from the configuration, or takes $PGRAFT_API_TOKEN.
            let put = try node.ctl(["kv", "put", "k", "from-ctl"])
            #expect(put.status == 0, "\(put.stderr)")
            let wrong = try node.ctl(["kv", "put", "k", "x"], environment: ["PGRAFT_API_TOKEN": "not-the-token-at-all"])
            #expect(wrong.status != 0)
            #expect(wrong.stderr.contains("the bearer token is not one of api.token_file's (pgraftctl sent $PGRAFT_API_TOKEN)"), "\(wrong.stderr)")
            #expect(try node.ctl(["kv", "get", "k"]).stdout.contains("from-ctl"))

            // No log line carries the token.
            for name in ["api", "pgraftd"] {
                let log = (try? String(contentsOfFile: node.directory + "/log/\(name).log", encoding: .utf8)) ?? ""
                #expect(!log.contains(Self.token), "\(name).log shows the token")
            }
        }

        @Test func overTLSAClientCertificateAuthenticatesWritesAndHealthChecksStayOpen() throws {
            let node = try NodeSandbox()
            sandboxes.append(node)
            let authority = try CertificateFiles.createAuthority(in: node.directory + "/ca", name: "api test", days: 10)
            let server = try CertificateFiles.issue(by: authority, nodeId: 1, cluster: node.clusterName, hosts: ["127.0.0.1"], days: 10, prefix: node.directory + "/api")
            let caFile = CertificateFiles.authorityCertificate(in: node.directory + "/ca")
            try node.write(yaml: node.readYAML().replacingOccurrences(
                of: "api:\n", with: "api:\n  tls:\n    cert_file: \(server.certificate)\n    key_file: \(server.key)\n    ca_file: \(caFile)\n"))
            try node.start()
            #expect(node.waitAllRunning(timeout: 60), "\(node.supervisorOutput)")

            // pgraftctl presents the API's own certificate, which the API's authority signed.
            #expect(node.waitUntil(timeout: 30) { (try? node.ctl(["kv", "put", "k", "over-tls"]))?.status == 0 })
            #expect(try node.ctl(["kv", "get", "k"]).stdout.contains("over-tls"))

            let anonymous = try TLSHTTPClient(host: "127.0.0.1", port: node.apiPort, trustRoots: caFile)
            #expect(try anonymous.request("GET", "/health").status == 200)
            let refused = try anonymous.request("PUT", "/v1/kv/k", body: Array("x".utf8))
            #expect(refused.status == 401)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("needs a client certificate signed by api.tls.ca_file"))
            // A client certificate of another authority does not get through the handshake.
            let stranger = try CertificateAuthority.make(name: "stranger")
            let foreign = try stranger.issue(nodeId: 9, cluster: "x", hosts: ["127.0.0.1"])
            let paths = try CertificateFiles.write(certificate: foreign.certificate, key: foreign.privateKey, prefix: node.directory + "/foreign")
            let outsider = try TLSHTTPClient(host: "127.0.0.1", port: node.apiPort, trustRoots: caFile, clientCertificate: paths)
            #expect(throws: BlockingHTTPClient.Failure.self) { try outsider.request("PUT", "/v1/kv/k", body: Array("y".utf8)) }
            // Plain HTTP to the TLS port gets no answer.
            #expect(throws: BlockingHTTPClient.Failure.self) {
                try BlockingHTTPClient(host: "127.0.0.1", port: node.apiPort, timeoutSeconds: 5).request("GET", "/health")
            }
        }

        @Test func theRunDirectorySocketsAndSegmentAreOwnerOnly() throws {
            let node = try NodeSandbox()
            sandboxes.append(node)
            try node.start()
            #expect(node.waitAllRunning(timeout: 60), "\(node.supervisorOutput)")
            func mode(_ path: String) -> mode_t? {
                var status = stat()
                return stat(path, &status) == 0 ? status.st_mode & 0o777 : nil
            }
            let config = try NodeConfig.load(path: node.configPath)
            #expect(mode(config.runDir) == 0o700)
            #expect(mode(config.controlSocketPath) == 0o600)
            #expect(mode(config.consensusSocketPath) == 0o600)
            #expect(mode("/dev/shm" + config.segmentName) == 0o600)
        }

        @Test func anUnusableTokenFileLeavesTheAPIFailedWithTheFix() throws {
            let node = try node(tokens: "short\n")
            let tokens = node.directory + "/api.tokens"
            try node.start()
            #expect(node.waitUntil(timeout: 30) { node.component("api")?.state == "FAILED" }, "\(node.supervisorOutput)")
            let log = (try? String(contentsOfFile: node.directory + "/log/api.log", encoding: .utf8)) ?? ""
            #expect(log.contains("api.token_file \(tokens): line 1: a token has 5 characters, fewer than 16"), "\(log)")
        }
    }
}

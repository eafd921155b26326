import Foundation
import PGRaftBytes
import PGRaftKit
import PGRaftTLS
import PGRaftTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// Mutual TLS on the peer port (`tls:`) between real nodes: who is welcomed, who is refused and
    /// why, and a renewed certificate taken up without a restart.
    @Suite final class PeerTLSTests {
        var sandboxes: [NodeSandbox] = []
        let authority = try! CertificateAuthority.make(name: "e2e authority")

        deinit {
            sandboxes.forEach { $0.cleanUp() }
        }

        func transportLog(_ node: NodeSandbox) -> String {
            (try? String(contentsOfFile: node.directory + "/log/transport.log", encoding: .utf8)) ?? ""
        }

        /// Writes `node`'s certificate (issued by `by`, naming `cluster`/`id`, valid from `notBefore`
        /// for `days`) and the authority file it trusts; returns the `tls:` YAML.
        func tls(
            _ node: NodeSandbox, id: UInt64, cluster: String, by: CertificateAuthority? = nil, notBefore: Date = Date(), days: Int = 30
        ) throws -> String {
            let issued = try (by ?? authority).issue(nodeId: id, cluster: cluster, hosts: ["127.0.0.1"], notBefore: notBefore, days: days)
            let paths = try CertificateFiles.write(certificate: issued.certificate, key: issued.privateKey, prefix: node.directory + "/node")
            let ca = node.directory + "/ca.crt"
            #expect(FileManager.default.createFile(atPath: ca, contents: Data(try authority.certificate.serializeAsPEM().pemString.utf8)))
            return "tls:\n  cert_file: \(paths.certificate)\n  key_file: \(paths.key)\n  ca_file: \(ca)\n"
        }

        /// Node 1 and node 2 of one cluster, each with the `tls:` YAML `secure` writes for it.
        func pair(_ secure: (NodeSandbox, UInt64, String) throws -> String) throws -> (NodeSandbox, NodeSandbox) {
            var cluster = ""
            let (first, second) = try NodeSandbox.pair(extra: "peer_timeout: 500\n") { node, id in
                // Node 1's cluster name is the pair's.
                if id == 1 { cluster = node.clusterName }
                return try secure(node, UInt64(id), cluster)
            }
            sandboxes += [first, second]
            try first.start()
            try second.start()
            #expect(first.waitAllRunning(timeout: 60) && second.waitAllRunning(timeout: 60), "\(first.supervisorOutput)\(second.supervisorOutput)")
            return (first, second)
        }

        @Test func nodesWithCertificatesFromTheClusterAuthorityConnect() throws {
            let (first, second) = try pair { node, id, cluster in try self.tls(node, id: id, cluster: cluster) }
            #expect(first.waitUntil(timeout: 20) {
                self.transportLog(first).contains("dialled=true") && self.transportLog(second).contains("authenticated=tls")
            }, "\(transportLog(first))\n\(transportLog(second))")
        }

        @Test(arguments: ["expired", "another authority", "another cluster", "another node"])
        func aPeerWithoutAGoodCertificateIsRefusedAndSaysWhy(_ flaw: String) throws {
            let stranger = try CertificateAuthority.make(name: "stranger")
            let (first, second) = try pair { node, id, cluster in
                guard id == 1 else { return try self.tls(node, id: id, cluster: cluster) }
                switch flaw {
                case "expired": return try self.tls(node, id: 1, cluster: cluster, notBefore: Date().addingTimeInterval(-10 * 86_400), days: 2)
                case "another authority": return try self.tls(node, id: 1, cluster: cluster, by: stranger)
                case "another cluster": return try self.tls(node, id: 1, cluster: cluster + "-b")
                default: return try self.tls(node, id: 3, cluster: cluster)
                }
            }
            // Node 1 dials node 2, which refuses it; node 1 logs why as well.
            let expected: String
            switch flaw {
            case "expired": expected = "TLS handshake failed"
            case "another authority": expected = "TLS handshake failed"
            case "another cluster": expected = "its TLS certificate names pgraft://\(first.clusterName)-b/node/1, 127.0.0.1, not node 1 of cluster '\(first.clusterName)'"
            default: expected = "its TLS certificate names pgraft://\(first.clusterName)/node/3, 127.0.0.1, not node 1"
            }
            #expect(second.waitUntil(timeout: 20) { self.transportLog(second).contains(expected) }, "\(transportLog(second))")
            #expect(transportLog(second).contains("remote=127.0.0.1:"))
            #expect(first.waitUntil(timeout: 20) { self.transportLog(first).contains("peer 2 at 127.0.0.1:\(second.listenPort)") }, "\(transportLog(first))")
            #expect(!transportLog(first).contains("peer connected") && !transportLog(second).contains("peer connected"))
        }

        @Test func theDiallingNodeHangsUpOnAPeerWhoseCertificateNamesAnotherNode() throws {
            // Node 2, which node 1 dials, holds node 3's certificate.
            let (first, _) = try pair { node, id, cluster in try self.tls(node, id: id == 2 ? 3 : id, cluster: cluster) }
            #expect(first.waitUntil(timeout: 20) {
                self.transportLog(first).contains("is not who this node dialled: its TLS certificate names pgraft://\(first.clusterName)/node/3")
            }, "\(transportLog(first))")
            #expect(!transportLog(first).contains("peer connected"))
        }

        @Test func aPlainConnectionToATLSPortIsRefusedAndLogged() throws {
            let (_, second) = try pair { node, id, cluster in try self.tls(node, id: id, cluster: cluster) }
            let plain = try BlockingSocket.connect(host: "127.0.0.1", port: second.listenPort, timeoutSeconds: 10)
            try plain.send(Frame(type: PeerFrameType.hello, payload: PeerHello(clusterName: second.clusterName, nodeId: 1).encoded()).encoded())
            #expect(plain.receiveUntilClosed().closed)
            #expect(second.waitUntil(timeout: 10) { self.transportLog(second).contains("TLS handshake failed") }, "\(transportLog(second))")
        }

        @Test func aRenewedCertificateIsTakenUpWithoutARestart() throws {
            let (first, second) = try pair { node, id, cluster in
                try self.tls(node, id: id, cluster: cluster, notBefore: id == 1 ? Date().addingTimeInterval(-10 * 86_400) : Date(), days: id == 1 ? 2 : 30)
            }
            #expect(second.waitUntil(timeout: 20) { self.transportLog(second).contains("TLS handshake failed") }, "\(transportLog(second))")
            let transport = first.component("transport")?.pid
            // The operator renews node 1's expired certificate in place (as pgraftctl cert issue does).
            let renewed = try authority.issue(nodeId: 1, cluster: first.clusterName, hosts: ["127.0.0.1"])
            _ = try CertificateFiles.write(certificate: renewed.certificate, key: renewed.privateKey, prefix: first.directory + "/node")
            #expect(first.waitUntil(timeout: 20) { self.transportLog(first).contains("dialled=true") }, "\(transportLog(first))")
            #expect(transportLog(first).contains("reloaded the TLS certificate"))
            #expect(first.component("transport")?.pid == transport, "the transport was restarted")
        }
    }
}

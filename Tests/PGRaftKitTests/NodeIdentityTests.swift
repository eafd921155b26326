import Foundation
import Testing

@testable import PGRaftTLS

@Suite struct NodeIdentityTests {
    static let authority = try! CertificateAuthority.make(name: "test authority")

    @Test func anIssuedCertificateNamesItsNodeAndHostsAndNothingElse() throws {
        let issued = try Self.authority.issue(nodeId: 2, cluster: "demo", hosts: ["10.0.0.2", "db-2.example", "fd00::2"])
        let identity = NodeIdentity(issued.certificate)
        #expect(identity.nodes == [NodeIdentity.PeerName(cluster: "demo", nodeId: 2)])
        #expect(identity.dnsNames == ["db-2.example"])
        #expect(identity.ipAddresses == ["10.0.0.2", "fd00::2"])
        #expect(identity.names(nodeId: 2, cluster: "demo", host: nil))
        #expect(!identity.names(nodeId: 3, cluster: "demo", host: nil), "another node of the cluster")
        #expect(!identity.names(nodeId: 2, cluster: "other", host: nil), "another cluster's node 2")
        // A pgraft certificate for another node is not rescued by the host it shares.
        #expect(!identity.names(nodeId: 3, cluster: "demo", host: "10.0.0.2"))
        #expect(identity.summary == "pgraft://demo/node/2, db-2.example, 10.0.0.2, fd00::2")
    }

    @Test func aCertificateFromAnotherAuthorityNamingOnlyHostsIsMatchedByTheMembersHost() throws {
        let other = try CertificateAuthority.make(name: "corporate")
        // As an operator's own PKI would issue it: host names only, no pgraft URI.
        var issued = try other.issue(nodeId: 1, cluster: "x", hosts: ["db-2.example", "10.0.0.2"])
        var identity = NodeIdentity(issued.certificate)
        identity.nodes = []
        #expect(identity.names(nodeId: 2, cluster: "demo", host: "DB-2.example"))
        #expect(identity.names(nodeId: 2, cluster: "demo", host: "10.0.0.2"))
        #expect(!identity.names(nodeId: 2, cluster: "demo", host: "10.0.0.3"))
        #expect(!identity.names(nodeId: 2, cluster: "demo", host: nil))
        issued = try other.issue(nodeId: 1, cluster: "x", hosts: ["::1"])
        identity = NodeIdentity(issued.certificate)
        identity.nodes = []
        #expect(identity.names(nodeId: 2, cluster: "demo", host: "[0:0::1]"))
    }

    @Test func pgraftURIsParseStrictly() {
        #expect(NodeIdentity.PeerName(uri: "pgraft://demo/node/7") == NodeIdentity.PeerName(cluster: "demo", nodeId: 7))
        for bad in ["pgraft://demo/node/0", "pgraft://demo/node/x", "pgraft:///node/1", "pgraft://demo/nodes/1", "pgraft://demo/node/1/x", "https://demo/node/1"] {
            #expect(NodeIdentity.PeerName(uri: bad) == nil, "\(bad)")
        }
    }

    @Test func theAuthorityIsWrittenOnceAndLoadsBackAndIssuesRenewals() throws {
        let directory = NSTemporaryDirectory() + "pgraft-ca-\(getpid())-\(UUID().uuidString.prefix(6))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let made = try CertificateFiles.createAuthority(in: directory, name: "t", days: 10)
        #expect(throws: CertificateFilesError.self) { try CertificateFiles.createAuthority(in: directory, name: "t", days: 10) }
        let loaded = try CertificateFiles.loadAuthority(in: directory)
        #expect(loaded.certificate == made.certificate)
        let first = try CertificateFiles.issue(by: loaded, nodeId: 1, cluster: "demo", hosts: ["127.0.0.1"], days: 1, prefix: directory + "/node1")
        let before = try String(contentsOfFile: first.certificate, encoding: .utf8)
        _ = try CertificateFiles.issue(by: loaded, nodeId: 1, cluster: "demo", hosts: ["127.0.0.1"], days: 1, prefix: directory + "/node1")
        #expect(try String(contentsOfFile: first.certificate, encoding: .utf8) != before, "a renewal replaces the certificate")
        var status = stat()
        #expect(stat(first.key, &status) == 0 && status.st_mode & 0o777 == 0o600)
        #expect(stat(CertificateFiles.authorityKey(in: directory), &status) == 0 && status.st_mode & 0o777 == 0o600)
        // A key that is not the authority's is refused.
        try FileManager.default.copyItem(atPath: first.key, toPath: directory + "/ca.key.other")
        _ = rename(directory + "/ca.key.other", CertificateFiles.authorityKey(in: directory))
        #expect(throws: CertificateFilesError.self) { try CertificateFiles.loadAuthority(in: directory) }
    }
}

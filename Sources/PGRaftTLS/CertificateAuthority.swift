import Crypto
import Foundation
import SwiftASN1
import X509

/// A small certificate authority for a test or small cluster (`pgraftctl cert`): an ECDSA P-256 root,
/// and node certificates it signs that name the node (`pgraft://CLUSTER/node/ID`) and its hosts, for
/// both ends of a connection (server and client authentication). A large deployment uses its own PKI;
/// the transport accepts any certificate that chains to `ca_file` and names the member.
public struct CertificateAuthority: Sendable {
    /// The root certificate.
    public let certificate: Certificate
    /// Its private key.
    public let privateKey: P256.Signing.PrivateKey

    /// An authority with an existing root and key.
    public init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// A new root named `name`, valid from `notBefore` for `days`.
    public static func make(name: String, notBefore: Date = Date(), days: Int = 3650) throws -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("pgraft")
            CommonName(name)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: notBefore.addingTimeInterval(-300), notValidAfter: notBefore.addingTimeInterval(Double(days) * 86_400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key))
        return CertificateAuthority(certificate: certificate, privateKey: key)
    }

    /// A certificate for node `nodeId` of `cluster` reachable at `hosts` (names or IP literals),
    /// valid from `notBefore` for `days`, with its new key.
    public func issue(
        nodeId: UInt64, cluster: String, hosts: [String], notBefore: Date = Date(), days: Int = 825
    ) throws -> (certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        var names: [GeneralName] = [.uniformResourceIdentifier(NodeIdentity.PeerName(cluster: cluster, nodeId: nodeId).uri)]
        for host in hosts {
            if let bytes = NodeIdentity.ipBytes(host) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
            } else {
                names.append(.dnsName(host))
            }
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: notBefore.addingTimeInterval(-300), notValidAfter: notBefore.addingTimeInterval(Double(days) * 86_400),
            issuer: self.certificate.subject,
            subject: try DistinguishedName {
                OrganizationName("pgraft")
                CommonName("\(cluster) node \(nodeId)")
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names)
                AuthorityKeyIdentifier(keyIdentifier: try self.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: .init(privateKey))
        return (certificate, key)
    }
}

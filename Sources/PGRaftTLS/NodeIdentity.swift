import Foundation
import NIOSSL
import SwiftASN1
import X509

/// Who a certificate says its holder is, for the peer port's mutual TLS: the pgraft node it names
/// (`pgraft://CLUSTER/node/ID`, the URI that `pgraftctl cert issue` writes) and its host names and
/// IP addresses. A peer is accepted when its certificate names the member it greets as, by id or by
/// the host of the member's address, so certificates from an operator's own authority that name
/// only the host work too.
public struct NodeIdentity: Sendable, Equatable {
    /// The (cluster, node id) pairs of the certificate's pgraft URIs.
    public var nodes: [PeerName]
    /// Its DNS names, lower-cased.
    public var dnsNames: [String]
    /// Its IP addresses, as text (`10.0.0.1`, `::1`).
    public var ipAddresses: [String]

    /// A cluster and node id a certificate names.
    public struct PeerName: Sendable, Equatable {
        /// The cluster's name.
        public var cluster: String
        /// The node's id.
        public var nodeId: UInt64

        /// The name of node `nodeId` of `cluster`.
        public init(cluster: String, nodeId: UInt64) {
            self.cluster = cluster
            self.nodeId = nodeId
        }

        /// `pgraft://CLUSTER/node/ID`.
        public var uri: String { "pgraft://\(cluster)/node/\(nodeId)" }

        /// The name a `pgraft://CLUSTER/node/ID` URI gives, or nil.
        public init?(uri: String) {
            guard uri.hasPrefix("pgraft://") else { return nil }
            let parts = uri.dropFirst("pgraft://".count).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3, !parts[0].isEmpty, parts[1] == "node", let id = UInt64(parts[2]), id > 0 else { return nil }
            self.init(cluster: String(parts[0]), nodeId: id)
        }
    }

    /// The identity of `certificate`.
    public init(_ certificate: Certificate) {
        var nodes: [PeerName] = []
        var dns: [String] = []
        var ips: [String] = []
        for name in (try? certificate.extensions.subjectAlternativeNames) ?? nil ?? SubjectAlternativeNames() {
            switch name {
            case .uniformResourceIdentifier(let uri): if let node = PeerName(uri: uri) { nodes.append(node) }
            case .dnsName(let host): dns.append(host.lowercased())
            case .ipAddress(let bytes): if let text = Self.ipText(Array(bytes.bytes)) { ips.append(text) }
            default: break
            }
        }
        self.nodes = nodes
        dnsNames = dns
        ipAddresses = ips
    }

    /// The identity of a certificate NIOSSL presents, or nil when it cannot be parsed.
    public init?(_ certificate: NIOSSLCertificate) {
        guard let bytes = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: bytes) else { return nil }
        self.init(parsed)
    }

    /// Whether the certificate names node `nodeId` of `cluster`, or `host` (the host of that
    /// member's address; nil when unknown).
    public func names(nodeId: UInt64, cluster: String, host: String?) -> Bool {
        if nodes.contains(PeerName(cluster: cluster, nodeId: nodeId)) { return true }
        // A certificate naming another pgraft node is not rescued by its host names.
        if !nodes.isEmpty { return false }
        guard let host else { return false }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        // An address matches only address entries, a name only name entries (RFC 6125).
        if let address = Self.normalizedIP(bare) { return ipAddresses.contains(address) }
        return dnsNames.contains(bare.lowercased())
    }

    /// What the certificate names, for messages.
    public var summary: String {
        let all = nodes.map(\.uri) + dnsNames + ipAddresses
        return all.isEmpty ? "no pgraft node, host name or address" : all.joined(separator: ", ")
    }

    /// The text of a 4- or 16-byte address.
    static func ipText(_ bytes: [UInt8]) -> String? {
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var text = [CChar](repeating: 0, count: 64)
        guard bytes.withUnsafeBytes({ inet_ntop(family, $0.baseAddress, &text, 64) }) != nil else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The bytes of an IP literal, or nil when `text` is not one.
    static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// `text` in the form `ipText` gives, when it is an IP literal.
    static func normalizedIP(_ text: String) -> String? {
        ipBytes(text).flatMap(ipText)
    }
}

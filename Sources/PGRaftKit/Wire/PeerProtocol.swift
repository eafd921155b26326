/// Frame types of the peer protocol (node to node over TCP).
public enum PeerFrameType {
    /// The first frame on a connection, from the side that dialled: who it is.
    public static let hello: UInt16 = 0x0201
    /// The answer to an acceptable hello: the accepting node's id.
    public static let welcome: UInt16 = 0x0202
    /// The answer to an unacceptable hello, with the reason; the connection is then closed.
    public static let refusal: UInt16 = 0x0203
    /// A Raft message, encoded by RaftCore.
    public static let raft: UInt16 = 0x0210
}

/// The greeting a node sends first on every peer connection: a peer of another cluster, an
/// unknown node or an incompatible build is refused before any Raft message is read.
public struct PeerHello: Sendable, Equatable {
    /// The peer protocol version this build speaks.
    public static let currentProtocolVersion: UInt32 = 1

    /// The sender's peer protocol version.
    public var protocolVersion: UInt32
    /// The sender's `cluster_name`.
    public var clusterName: String
    /// The sender's `node_id`.
    public var nodeId: UInt64

    /// A greeting from `nodeId` of `clusterName`.
    public init(clusterName: String, nodeId: UInt64, protocolVersion: UInt32 = PeerHello.currentProtocolVersion) {
        self.protocolVersion = protocolVersion
        self.clusterName = clusterName
        self.nodeId = nodeId
    }

    /// The frame payload.
    public func encoded() -> [UInt8] {
        var writer = WireWriter()
        writer.u32(protocolVersion)
        writer.u64(nodeId)
        writer.string(clusterName)
        return writer.bytes
    }

    /// Decodes a payload; anything but exactly one greeting is an error.
    public static func decode(_ payload: [UInt8]) throws(WireDecodeError) -> PeerHello {
        var reader = WireReader(payload)
        let version = try reader.u32()
        let node = try reader.u64()
        let cluster = try reader.string(limit: 255)
        try reader.expectEnd()
        return PeerHello(clusterName: cluster, nodeId: node, protocolVersion: version)
    }

    /// Why this greeting cannot be accepted by node `ownId` of `cluster` whose members are `members`;
    /// nil when it can.
    public func refusal(cluster: String, ownId: UInt64, members: Set<UInt64>) -> String? {
        if protocolVersion != Self.currentProtocolVersion {
            return "peer protocol version \(protocolVersion) is not supported (this node speaks \(Self.currentProtocolVersion))"
        }
        if clusterName != cluster {
            return "node \(nodeId) belongs to cluster '\(clusterName)', this node to '\(cluster)'"
        }
        if nodeId == ownId { return "node id \(nodeId) is this node's own id" }
        if !members.contains(nodeId) {
            return "node \(nodeId) is not a member of cluster '\(cluster)' (members: \(members.sorted().map(String.init).joined(separator: ", ")))"
        }
        return nil
    }
}

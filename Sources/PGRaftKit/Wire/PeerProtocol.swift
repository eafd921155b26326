import PGRaftBytes

/// Frame types of the peer protocol (node to node over TCP).
public enum PeerFrameType {
    /// The first frame on a connection, from the side that dialled: who it is.
    public static let hello: UInt16 = 0x0201
    /// The answer to an acceptable hello: the accepting node's id.
    public static let welcome: UInt16 = 0x0202
    /// The answer to an unacceptable hello, with the reason; the connection is then closed.
    public static let refusal: UInt16 = 0x0203
    /// "Still here": sent on a connection that carried nothing else for a quarter of `peer_timeout`,
    /// so that a connection silent for `peer_timeout` can be taken for dead. No payload.
    public static let ping: UInt16 = 0x0204
    /// The accepting node's answer to a greeting that offers the cluster secret: its id, nonce and
    /// proof (`PeerChallenge`). Sent only by a node with `cluster_secret_file`.
    public static let challenge: UInt16 = 0x0205
    /// The dialling node's proof of the secret (`PeerAuthentication`), its answer to a challenge
    /// whose proof it checked; the accepting node welcomes it or refuses it.
    public static let proof: UInt16 = 0x0206
    /// A Raft message, encoded by RaftCore.
    public static let raft: UInt16 = 0x0210
    /// One piece of a Raft message larger than `PeerChunking.chunkBytes` (a snapshot): u64 total
    /// length, then the bytes. The pieces of a message follow each other on the connection.
    public static let raftChunk: UInt16 = 0x0211
}

/// Large Raft messages (snapshots) cross the peer connection as a stream of bounded chunks, so no
/// frame is ever large and a snapshot is never limited by the frame size.
public enum PeerChunking {
    /// Bytes per chunk.
    public static let chunkBytes = 1 << 20
    /// The largest message a receiver reassembles; a peer announcing more is cut off.
    public static let maxMessageBytes = 1 << 30

    /// The frames that carry `message`: one `raft` frame, or `raftChunk` frames when it is large.
    public static func frames(for message: [UInt8]) -> [Frame] {
        guard message.count > chunkBytes else { return [Frame(type: PeerFrameType.raft, payload: message)] }
        var frames: [Frame] = []
        var offset = 0
        while offset < message.count {
            let end = min(offset + chunkBytes, message.count)
            var writer = ByteWriter(capacity: end - offset + 8)
            writer.u64(UInt64(message.count))
            writer.raw(Array(message[offset..<end]))
            frames.append(Frame(type: PeerFrameType.raftChunk, payload: writer.bytes))
            offset = end
        }
        return frames
    }

    /// Reassembles chunked messages of one connection.
    public struct Assembler: Sendable {
        private var pending: [UInt8] = []
        private var total = 0

        /// An empty assembler.
        public init() {}

        /// Takes one `raftChunk` payload; returns the whole message once its last chunk arrived.
        /// - Throws: a chunk that contradicts the announced length, or a length over `maxMessageBytes`.
        public mutating func add(_ payload: [UInt8]) throws(ByteDecodeError) -> [UInt8]? {
            var reader = ByteReader(payload)
            let announced = Int(clamping: try reader.u64())
            guard announced > 0, announced <= PeerChunking.maxMessageBytes else {
                throw ByteDecodeError("a chunked message of \(announced) bytes exceeds \(PeerChunking.maxMessageBytes)")
            }
            if pending.isEmpty {
                total = announced
                pending.reserveCapacity(announced)
            } else if announced != total {
                throw ByteDecodeError("a chunk announces \(announced) bytes in a message of \(total)")
            }
            let piece = try reader.raw(reader.remaining)
            guard pending.count + piece.count <= total else {
                throw ByteDecodeError("chunks overflow the announced \(total) bytes")
            }
            pending += piece
            guard pending.count == total else { return nil }
            defer { pending = [] }
            return pending
        }
    }
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
    /// The sender's nonce when it holds the cluster secret and asks to prove it
    /// (`PeerAuthentication`); nil from a node without `cluster_secret_file`. It follows the other
    /// fields, so a greeting without one reads as it always did.
    public var nonce: [UInt8]?

    /// A greeting from `nodeId` of `clusterName`, offering the cluster secret's handshake with `nonce`.
    public init(clusterName: String, nodeId: UInt64, nonce: [UInt8]? = nil, protocolVersion: UInt32 = PeerHello.currentProtocolVersion) {
        self.protocolVersion = protocolVersion
        self.clusterName = clusterName
        self.nodeId = nodeId
        self.nonce = nonce
    }

    /// The frame payload.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.u32(protocolVersion)
        writer.u64(nodeId)
        writer.string(clusterName)
        if let nonce { writer.raw(nonce) }
        return writer.bytes
    }

    /// Decodes a payload; anything but exactly one greeting (with a whole nonce, or none) is an error.
    public static func decode(_ payload: [UInt8]) throws(ByteDecodeError) -> PeerHello {
        var reader = ByteReader(payload)
        let version = try reader.u32()
        let node = try reader.u64()
        let cluster = try reader.string(limit: 255)
        let nonce = reader.isAtEnd ? nil : try reader.raw(PeerAuthentication.nonceBytes)
        try reader.expectEnd()
        return PeerHello(clusterName: cluster, nodeId: node, nonce: nonce, protocolVersion: version)
    }

    /// Why this greeting cannot be accepted by node `ownId` of `cluster` whose members are `members`
    /// (nil: not known yet, so any node of the cluster is welcome) and which holds the cluster
    /// secret or not (`hasSecret`); nil when it can (pending the secret's proof, if any).
    public func refusal(cluster: String, ownId: UInt64, members: Set<UInt64>?, hasSecret: Bool = false) -> PeerRefusal? {
        if protocolVersion != Self.currentProtocolVersion {
            return PeerRefusal(
                "peer protocol version \(protocolVersion) is not supported (this node speaks \(Self.currentProtocolVersion))")
        }
        if clusterName != cluster {
            return PeerRefusal("node \(nodeId) belongs to cluster '\(clusterName)', this node to '\(cluster)'")
        }
        if nodeId == ownId { return PeerRefusal("node id \(nodeId) is this node's own id") }
        if let members, !members.contains(nodeId) {
            return PeerRefusal(
                "node \(nodeId) is not a member of cluster '\(cluster)' (members: \(members.sorted().map(String.init).joined(separator: ", ")))",
                kind: .notAMember)
        }
        if hasSecret, nonce == nil {
            return PeerRefusal(
                "this node requires peers to prove the cluster secret (cluster_secret_file), and node \(nodeId)'s greeting offers none: "
                    + "give it the same cluster_secret_file", kind: .unauthenticated)
        }
        if !hasSecret, nonce != nil {
            return PeerRefusal(
                "node \(nodeId) offers to prove a cluster secret, and this node has no cluster_secret_file: give every node the same one",
                kind: .unauthenticated)
        }
        return nil
    }
}

/// The payload of a refusal frame: why a greeting was refused, in words and as a kind the
/// refused node can act on.
public struct PeerRefusal: Sendable, Equatable {
    /// What kind of refusal it is.
    public enum Kind: UInt8, Sendable {
        /// Version, cluster name or id: a configuration mistake the log explains.
        case other = 0
        /// The refusing node's applied membership does not include the greeting node: it was
        /// removed, or its addition has not reached the refusing node yet.
        case notAMember = 1
        /// A live connection of another process already holds the greeting's node id; the first
        /// one keeps it. Builds before this kind read it as `.other`.
        case duplicate = 2
        /// The greeting could not prove the cluster secret, or offered one to a node without it.
        case unauthenticated = 3
    }

    /// A sentence for the logs.
    public var reason: String
    /// The kind.
    public var kind: Kind

    /// A refusal for `reason`.
    public init(_ reason: String, kind: Kind = .other) {
        self.reason = reason
        self.kind = kind
    }

    /// The frame payload: the reason, then the kind.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.string(reason)
        writer.u8(kind.rawValue)
        return writer.bytes
    }

    /// Decodes a payload leniently: it is only read to be logged and acted on, so a missing or
    /// unknown kind reads as `.other` and a missing reason as a placeholder.
    public static func decode(_ payload: [UInt8]) -> PeerRefusal {
        var reader = ByteReader(payload)
        guard let reason = try? reader.string(limit: Frame.defaultMaxPayload) else { return PeerRefusal("no reason given") }
        let kind = (try? reader.u8()).flatMap(Kind.init(rawValue:)) ?? .other
        return PeerRefusal(reason, kind: kind)
    }
}

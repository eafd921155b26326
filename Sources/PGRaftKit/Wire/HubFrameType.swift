import PGRaftBytes

/// Frame types between the transport and consensus on `<run_dir>/consensus.sock` (consensus is the
/// hub). Raft messages cross it as opaque bytes: transport neither decodes nor keeps them.
public enum HubFrameType {
    /// Transport → consensus, first frame: "I am the transport"; no payload.
    public static let transportHello: UInt16 = 0x0301
    /// Consensus → transport: send these bytes to peer `to` (u64 to, blob message). Dropped, and
    /// counted, when the peer is not connected or its send buffer is full: Raft tolerates loss.
    public static let peerSend: UInt16 = 0x0302
    /// Transport → consensus: bytes that peer `from` sent (u64 from, blob message).
    public static let peerReceived: UInt16 = 0x0303
    /// Transport → consensus: what became of the link to peer `peer` (u64 peer, u8 `HubPeerState`).
    public static let peerStatus: UInt16 = 0x0304
}

/// The state a `HubFrameType.peerStatus` frame reports.
public enum HubPeerState: UInt8, Sendable {
    /// The connection is gone.
    case disconnected = 0
    /// The peer greeted this node (or was greeted) and is connected.
    case connected = 1
    /// The peer refused this node's greeting because its applied membership does not include
    /// this node.
    case refusedAsNonMember = 2
}

/// A Raft message between this node and peer `peer`, as it crosses consensus.sock.
public struct HubPeerMessage: Sendable, Equatable {
    /// The other node.
    public var peer: UInt64
    /// The encoded Raft message.
    public var message: [UInt8]

    /// A message to or from `peer`.
    public init(peer: UInt64, message: [UInt8]) {
        self.peer = peer
        self.message = message
    }

    /// The frame payload.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: message.count + 12)
        writer.u64(peer)
        writer.blob(message)
        return writer.bytes
    }

    /// Decodes a payload; anything but exactly one message is an error.
    public static func decode(_ payload: [UInt8]) throws(ByteDecodeError) -> HubPeerMessage {
        var reader = ByteReader(payload)
        let peer = try reader.u64()
        let message = try reader.blob(limit: PeerChunking.maxMessageBytes)
        try reader.expectEnd()
        return HubPeerMessage(peer: peer, message: message)
    }
}

extension HubFrameType {
    /// Consensus → transport: the members to keep connected, as consensus knows them (u32 count,
    /// then u64 id and string "host:port" each). Sent on connect and whenever the membership or
    /// an address changes; the transport dials and accepts exactly these (besides itself).
    public static let members: UInt16 = 0x0305
}

/// The peer list consensus hands the transport.
public struct HubMemberList: Sendable, Equatable {
    /// Node id and "host:port" of every member.
    public var members: [(id: UInt64, address: String)]

    /// A list.
    public init(members: [(id: UInt64, address: String)]) {
        self.members = members
    }

    /// Equal when the same members in the same order.
    public static func == (a: HubMemberList, b: HubMemberList) -> Bool {
        a.members.elementsEqual(b.members, by: { $0 == $1 })
    }

    /// The frame payload.
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(members.count))
        for member in members {
            w.u64(member.id)
            w.string(member.address)
        }
        return w.bytes
    }

    /// Decodes a payload.
    public static func decode(_ payload: [UInt8]) throws(ByteDecodeError) -> HubMemberList {
        var r = ByteReader(payload)
        let count = Int(try r.u32())
        guard count <= 4096 else { throw ByteDecodeError("\(count) members") }
        var members: [(id: UInt64, address: String)] = []
        for _ in 0..<count { members.append((try r.u64(), try r.string(limit: 300))) }
        try r.expectEnd()
        return HubMemberList(members: members)
    }
}

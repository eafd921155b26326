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
    /// Transport → consensus: peer `peer` is now connected (1) or not (0) (u64 peer, u8 state).
    public static let peerStatus: UInt16 = 0x0304
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
        var writer = WireWriter(capacity: message.count + 12)
        writer.u64(peer)
        writer.blob(message)
        return writer.bytes
    }

    /// Decodes a payload; anything but exactly one message is an error.
    public static func decode(_ payload: [UInt8]) throws(WireDecodeError) -> HubPeerMessage {
        var reader = WireReader(payload)
        let peer = try reader.u64()
        let message = try reader.blob(limit: Frame.defaultMaxPayload)
        try reader.expectEnd()
        return HubPeerMessage(peer: peer, message: message)
    }
}

/// One unit of every pgraft byte stream (control socket, consensus socket, peer TCP).
///
/// On the wire a frame is a 4-byte big-endian length of what follows, a 1-byte protocol
/// version, a 2-byte big-endian type and the payload. One framing for every stream means
/// one decoder to harden and fuzz.
public struct Frame: Sendable, Equatable {
    /// The protocol version this build writes and accepts.
    public static let currentVersion: UInt8 = 1
    /// Bytes before the payload: length (4), version (1), type (2).
    public static let headerSize = 7
    /// Frames larger than this are refused as garbage rather than buffered.
    public static let defaultMaxPayload = 16 * 1024 * 1024
    /// Largest payload on the node's own Unix sockets (consensus.sock), where a snapshot of the state
    /// machine crosses in one frame; peers over TCP keep `defaultMaxPayload` and chunk large messages.
    public static let localMaxPayload = 256 * 1024 * 1024

    /// What the payload is; the meaning of each value belongs to the stream's protocol.
    public var type: UInt16
    /// The version the sender wrote.
    public var version: UInt8
    /// The frame's body.
    public var payload: [UInt8]

    /// A frame of `type` carrying `payload`, at the current protocol version.
    public init(type: UInt16, payload: [UInt8], version: UInt8 = Frame.currentVersion) {
        self.type = type
        self.payload = payload
        self.version = version
    }

    /// The frame as bytes ready to write.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Frame.headerSize + payload.count)
        let length = UInt32(payload.count + 3)
        out.append(UInt8(truncatingIfNeeded: length >> 24))
        out.append(UInt8(truncatingIfNeeded: length >> 16))
        out.append(UInt8(truncatingIfNeeded: length >> 8))
        out.append(UInt8(truncatingIfNeeded: length))
        out.append(version)
        out.append(UInt8(truncatingIfNeeded: type >> 8))
        out.append(UInt8(truncatingIfNeeded: type))
        out.append(contentsOf: payload)
        return out
    }
}

/// Why a byte stream was refused; the connection that sent it is closed, nothing else.
public enum FrameError: Error, Equatable, CustomStringConvertible {
    /// The length field announces less than a version and a type.
    case lengthTooSmall(UInt32)
    /// The length field announces more than the decoder accepts.
    case lengthTooLarge(UInt32, limit: Int)
    /// The sender speaks a protocol version this build does not.
    case unsupportedVersion(UInt8)

    /// A sentence for the log.
    public var description: String {
        switch self {
        case .lengthTooSmall(let n): return "frame length \(n) is smaller than the 3-byte version and type"
        case .lengthTooLarge(let n, let limit): return "frame length \(n) exceeds the limit of \(limit) bytes"
        case .unsupportedVersion(let v):
            return "frame protocol version \(v) is not supported (this build speaks \(Frame.currentVersion))"
        }
    }
}

/// Incremental decoder: feed it bytes as they arrive, take whole frames out.
///
/// It never buffers more than one frame plus one read, and it fails on the header of a
/// frame that is too large, before the body arrives.
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    /// The largest payload accepted.
    public let maxPayload: Int

    /// A decoder refusing payloads over `maxPayload` bytes.
    public init(maxPayload: Int = Frame.defaultMaxPayload) {
        self.maxPayload = maxPayload
    }

    /// Bytes received and not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Appends received bytes.
    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, or nil when more bytes are needed.
    /// - Throws: `FrameError` when the stream cannot be a valid frame sequence.
    public mutating func next() throws(FrameError) -> Frame? {
        let available = buffer.count - start
        guard available >= 4 else { return nil }
        let length =
            UInt32(buffer[start]) << 24 | UInt32(buffer[start + 1]) << 16
            | UInt32(buffer[start + 2]) << 8 | UInt32(buffer[start + 3])
        guard length >= 3 else { throw .lengthTooSmall(length) }
        guard Int(length) - 3 <= maxPayload else { throw .lengthTooLarge(length, limit: maxPayload) }
        let version = available >= 5 ? buffer[start + 4] : Frame.currentVersion
        guard version == Frame.currentVersion else { throw .unsupportedVersion(version) }
        guard available >= 4 + Int(length) else { return nil }
        let type = UInt16(buffer[start + 5]) << 8 | UInt16(buffer[start + 6])
        let payload = Array(buffer[(start + Frame.headerSize)..<(start + 4 + Int(length))])
        start += 4 + Int(length)
        if start > 64 * 1024 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return Frame(type: type, payload: payload, version: version)
    }
}

import NIOCore
import NIOEmbedded
import PGRaftAPI
import PGRaftBridge
import PGRaftBytes
import PGRaftKit
import PGRaftStateMachine
import PGRaftStorage
import PGRaftStorageProtocol
import RaftCore

/// The decoders of bytes pgraft did not write itself, one fuzz target each: whatever the input, a
/// decoder must answer with a value or an error, never crash, hang or read out of bounds.
enum FuzzTarget: String, CaseIterable {
    /// Peer connections: frames, greetings, challenges, refusals, chunked and plain Raft messages.
    case peer
    /// The client protocol of `consensus.sock` (requests and replies) and the storage protocol.
    case client
    /// What storage reads back from disk: log records, segment headers, snapshot files, the state
    /// machine's snapshot image, commands, memberships and the bridges' records.
    case storage
    /// The configuration reader, from YAML text to a checked `NodeConfig`.
    case yaml
    /// HTTP requests, through NIO's parser, the api's request handler and router.
    case http

    /// Feeds `bytes` to the target's decoders.
    func run(_ bytes: [UInt8]) {
        switch self {
        case .peer: Self.peer(bytes)
        case .client: Self.client(bytes)
        case .storage: Self.storage(bytes)
        case .yaml: Self.yaml(bytes)
        case .http: Self.http(bytes)
        }
    }

    /// Every frame in `bytes`, as a peer or a local socket would deliver them.
    private static func frames(_ bytes: [UInt8]) -> [Frame] {
        var decoder = FrameDecoder(maxPayload: 1 << 20)
        decoder.feed(bytes)
        var frames: [Frame] = []
        while let frame = try? decoder.next() { frames.append(frame) }
        return frames
    }

    private static func peer(_ bytes: [UInt8]) {
        _ = Message.decode(bytes)
        var assembler = PeerChunking.Assembler()
        for frame in frames(bytes) {
            let payload = frame.payload
            switch frame.type {
            case PeerFrameType.hello: _ = try? PeerHello.decode(payload)
            case PeerFrameType.challenge: _ = try? PeerChallenge.decode(payload)
            case PeerFrameType.refusal: _ = PeerRefusal.decode(payload)
            case PeerFrameType.raftChunk: if let message = try? assembler.add(payload) { _ = Message.decode(message) }
            case HubFrameType.peerReceived, HubFrameType.peerSend: _ = try? HubPeerMessage.decode(payload)
            case HubFrameType.members: _ = try? HubMemberList.decode(payload)
            default: _ = Message.decode(payload)
            }
        }
    }

    private static func client(_ bytes: [UInt8]) {
        _ = try? ClientRequest.decode(bytes)
        _ = try? ClientReply.decode(bytes)
        _ = try? StorageRequest.decode(bytes)
        _ = try? StorageReply.decode(bytes)
        for frame in frames(bytes) {
            _ = try? ClientRequest.decode(frame.payload)
            _ = try? ClientReply.decode(frame.payload)
        }
    }

    private static func storage(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            guard case .record(_, let next) = RecordCodec.decode(bytes, at: offset) else { break }
            guard next > offset else { break }
            offset = next
        }
        _ = try? SegmentHeader.decode(bytes)
        _ = try? SnapshotCodec.decode(bytes)
        _ = ReplicatedStateMachine.restore(bytes, membership: ConfState(voters: [1, 2, 3]))
        _ = Command.decode(bytes)
        _ = ConfState.decode(bytes)
        _ = ConfChange.decode(bytes)
        _ = Topology(encoded: bytes)
        _ = MemberReport(encoded: bytes)
        _ = MemberStatus(encoded: bytes)
    }

    private static func yaml(_ bytes: [UInt8]) {
        _ = try? NodeConfig.parse(yaml: String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml", baseDirectory: "/nonexistent-fuzz")
    }

    /// A router with no consensus and no segment: every route answers from its own checks.
    private static let router: APIRouter = {
        let yaml = "cluster_name: fuzz\nnode_id: 1\nlisten_port: 7001\ndata_dir: /d\nrun_dir: /r\nlog_dir: /l\napi:\n  max_value_bytes: 4096\n"
        return APIRouter(config: try! NodeConfig.parse(yaml: yaml, file: "fuzz.yaml", baseDirectory: "/"), segment: nil, consensus: nil)
    }()

    private static func http(_ bytes: [UInt8]) {
        let channel = EmbeddedChannel()
        _ = APIServer.configure(channel, router: router, counters: nil)
        _ = try? channel.writeInbound(ByteBuffer(bytes: bytes))
        channel.embeddedEventLoop.run()
        while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
        _ = try? channel.finish()
    }
}

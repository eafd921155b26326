import CShims
import Logging
import NIOCore
import PGRaftKit
import PGRaftBytes

/// One accepted peer connection: its first frame must be an acceptable `PeerHello` within
/// `peer_timeout`; anything else is refused with a logged reason and the connection closed. With
/// the cluster secret, the greeting is answered with a challenge, and only a proof of the secret
/// (`PeerAuthentication`) that arrives within the same `peer_timeout` is welcomed.
///
/// Accessed only on its channel's event loop (the handler's callback and the scheduled timeout),
/// hence `@unchecked Sendable`.
final class PeerSession: @unchecked Sendable {
    /// What this node accepts.
    struct Identity: Sendable {
        let cluster: String
        let nodeId: UInt64
        /// The cluster secret peers must prove (`cluster_secret_file`), or nil.
        let secret: ClusterSecret?
        /// The peer port's TLS (`tls:`), or nil.
        let tls: PeerTLS?
    }

    /// A greeting answered with a challenge, waiting for the peer's proof.
    private struct Challenged {
        let hello: PeerHello
        let transcript: PeerAuthentication.Transcript
    }

    /// Refusals logged as warnings: the first of a node for a reason, then one a minute with the
    /// count of those logged at debug level meanwhile (a removed node retries every second).
    static let refusals = RepeatFilter(quietMs: 60_000)

    private let identity: Identity
    private let members: PeerMembers
    private let table: PeerTable
    private let logger: Logger
    /// The peer's node id once its greeting was accepted.
    private(set) var peer: UInt64?
    private var assembler = PeerChunking.Assembler()
    private var challenged: Challenged?
    /// Set once the connection was refused: frames already in flight behind the refused one are
    /// dropped, never read as a new greeting.
    private var refused = false

    init(identity: Identity, members: PeerMembers, table: PeerTable, logger: Logger) {
        self.identity = identity
        self.members = members
        self.table = table
        self.logger = logger
    }

    /// Installs the frame handler on `channel` and closes it if no greeting arrives within `timeoutMs`.
    static func start(
        on channel: Channel, identity: Identity, members: PeerMembers, table: PeerTable, timeoutMs: Int, logger: Logger
    ) throws {
        let session = PeerSession(identity: identity, members: members, table: table, logger: logger)
        try identity.tls?.addServerHandler(to: channel)
        try channel.pipeline.syncOperations.addHandler(
            FrameChannelHandler(
                what: "peer connection", logger: logger,
                onError: { error, context in
                    // A failed handshake is a refusal: the connection never reached its greeting.
                    guard session.peer == nil, PeerTLS.isTLSError(error) else { return }
                    session.logRefusal(PeerRefusal("TLS handshake failed: \(error)", kind: .unauthenticated), remote: context.remoteAddress.display, context: context, node: nil)
                }
            ) { frame, context in
                session.receive(frame, context: context)
            })
        let remote = channel.remoteAddress.display
        channel.closeFuture.whenComplete { _ in
            if let peer = session.peer {
                logger.warning("lost peer", metadata: ["peer": "\(peer)"])
                table.disconnected(peer, channel: channel)
            } else if let challenged = session.challenged, !session.refused {
                // The dialling node checked this node's proof and hung up: it holds another secret.
                logger.warning(
                    "refused peer connection",
                    metadata: [
                        "remote": "\(remote)",
                        "reason": .string(
                            "node \(challenged.hello.nodeId) hung up after the challenge without proving the cluster secret: "
                                + "its cluster_secret_file differs from this node's, or it is not pgraft"),
                    ])
            }
        }
        channel.eventLoop.scheduleTask(in: .milliseconds(Int64(timeoutMs))) {
            guard session.peer == nil, !session.refused, channel.isActive else { return }
            let missing = session.challenged == nil ? "no greeting" : "no proof of the cluster secret"
            logger.warning("closing peer connection", metadata: ["remote": "\(remote)", "reason": "\(missing) within peer_timeout \(timeoutMs) ms"])
            channel.close(promise: nil)
        }
    }

    func receive(_ frame: Frame, context: ChannelHandlerContext) {
        guard !refused else { return }
        if let peer {
            table.heard(peer, channel: context.channel)
            switch frame.type {
            case PeerFrameType.raft:
                table.received(HubPeerMessage(peer: peer, message: frame.payload))
            case PeerFrameType.raftChunk:
                do {
                    if let message = try assembler.add(frame.payload) { table.received(HubPeerMessage(peer: peer, message: message)) }
                } catch {
                    logger.warning("closing the connection of peer \(peer): \(error)")
                    context.close(promise: nil)
                }
            default:
                break
            }
            return
        }
        let remote = context.remoteAddress.display
        if let challenged {
            answered(challenged, with: frame, remote: remote, context: context)
            return
        }
        guard frame.type == PeerFrameType.hello else {
            refuse("the first frame must be a greeting, got frame type \(frame.type)", remote: remote, context: context)
            return
        }
        let hello: PeerHello
        do {
            hello = try PeerHello.decode(frame.payload)
        } catch {
            refuse("malformed greeting: \(error)", remote: remote, context: context)
            return
        }
        if let refusal = hello.refusal(
            cluster: identity.cluster, ownId: identity.nodeId, members: members.acceptedIds, hasSecret: identity.secret != nil)
        {
            refuse(refusal, remote: remote, context: context, node: hello.nodeId)
            return
        }
        if identity.tls != nil,
            let mismatch = PeerTLS.mismatch(on: context, nodeId: hello.nodeId, cluster: identity.cluster, host: members.host(of: hello.nodeId))
        {
            refuse(PeerRefusal("node \(hello.nodeId) is not who it says: \(mismatch)", kind: .unauthenticated), remote: remote, context: context, node: hello.nodeId)
            return
        }
        if let secret = identity.secret, let nonce = hello.nonce {
            let transcript = PeerAuthentication.Transcript(
                cluster: identity.cluster, dialer: hello.nodeId, acceptor: identity.nodeId, dialerNonce: nonce,
                acceptorNonce: PeerAuthentication.nonce())
            challenged = Challenged(hello: hello, transcript: transcript)
            let challenge = PeerChallenge(
                nodeId: identity.nodeId, nonce: transcript.acceptorNonce,
                proof: PeerAuthentication.proof(.acceptor, of: transcript, secret: secret))
            FrameChannelHandler.send(Frame(type: PeerFrameType.challenge, payload: challenge.encoded()), on: context)
            return
        }
        welcome(hello, remote: remote, context: context)
    }

    /// The frame after this node's challenge: the peer's proof of the secret, or a refusal.
    private func answered(_ challenged: Challenged, with frame: Frame, remote: String, context: ChannelHandlerContext) {
        let node = challenged.hello.nodeId
        guard frame.type == PeerFrameType.proof else {
            refuse(PeerRefusal("expected the proof of the cluster secret, got frame type \(frame.type)", kind: .unauthenticated),
                remote: remote, context: context, node: node)
            return
        }
        guard let secret = identity.secret,
            PeerAuthentication.verify(frame.payload, by: .dialer, of: challenged.transcript, secret: secret)
        else {
            refuse(
                PeerRefusal(
                    "node \(node) could not prove the cluster secret: its cluster_secret_file differs from this node's, or the proof "
                        + "was not made for this connection", kind: .unauthenticated),
                remote: remote, context: context, node: node)
            return
        }
        self.challenged = nil
        welcome(challenged.hello, remote: remote, context: context)
    }

    /// Makes the connection `hello`'s link and welcomes it, unless a live link holds the id.
    private func welcome(_ hello: PeerHello, remote: String, context: ChannelHandlerContext) {
        if case .heldBy(let holder) = table.claim(hello.nodeId, channel: context.channel) {
            let refusal = PeerRefusal(
                "node \(hello.nodeId) is already connected from \(holder); this greeting with the same id came from \(remote) "
                    + "(a second process with this node_id, or the member reconnecting before its old connection was seen to close)",
                kind: .duplicate)
            refuse(refusal, remote: remote, context: context, node: hello.nodeId)
            return
        }
        peer = hello.nodeId
        var writer = ByteWriter()
        writer.u64(identity.nodeId)
        FrameChannelHandler.send(Frame(type: PeerFrameType.welcome, payload: writer.bytes), on: context)
        logger.info(
            "peer connected",
            metadata: ["peer": "\(hello.nodeId)", "remote": "\(remote)", "authenticated": "\(identity.authentication)"])
    }

    private func refuse(_ reason: String, remote: String, context: ChannelHandlerContext) {
        refuse(PeerRefusal(reason), remote: remote, context: context, node: nil)
    }

    private func refuse(_ refusal: PeerRefusal, remote: String, context: ChannelHandlerContext, node: UInt64?) {
        refused = true
        logRefusal(refusal, remote: remote, context: context, node: node)
        let channel = context.channel
        context.writeAndFlush(
            NIOAny(context.channel.allocator.buffer(bytes: Frame(type: PeerFrameType.refusal, payload: refusal.encoded()).encoded()))
        ).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Logs a refusal as a warning, or at debug level when the same one was logged within the minute.
    func logRefusal(_ refusal: PeerRefusal, remote: String, context: ChannelHandlerContext, node: UInt64?) {
        var metadata: Logger.Metadata = ["remote": "\(remote)", "reason": "\(refusal.reason)"]
        // Repeats are recognised by node id, or by host: a retrying node connects from a new port each
        // time. An unproven claim to an id is also keyed by host, so a stranger claiming a member's id
        // does not hide in that member's quiet minute.
        let host = context.remoteAddress?.ipAddress ?? remote
        let source = node.map { refusal.kind == .unauthenticated ? "node \($0) from \(host)" : "node \($0)" } ?? host
        // A duplicate's reason names its connection's port, new on every retry: repeats are the kind.
        let repeated = refusal.kind == .duplicate ? "a duplicate" : refusal.reason
        if let heldBack = Self.refusals.pass("\(source) \(repeated)", nowMs: pgr_monotonic_ms()) {
            if heldBack > 0 { metadata["repeats_logged_at_debug"] = "\(heldBack)" }
            logger.warning("refused peer connection", metadata: metadata)
        } else {
            logger.debug("refused peer connection again", metadata: metadata)
        }
    }
}

extension PeerSession.Identity {
    /// How peers prove who they are, for the log: `tls+secret`, `tls`, `secret` or `no`.
    var authentication: String {
        [tls.map { _ in "tls" }, secret.map { _ in "secret" }].compactMap { $0 }.joined(separator: "+").nonEmpty ?? "no"
    }
}

extension String {
    /// Nil when empty.
    var nonEmpty: String? { isEmpty ? nil : self }
}

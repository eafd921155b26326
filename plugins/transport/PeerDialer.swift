import Logging
import NIOCore
import NIOPosix
import PGRaftKit

/// Keeps one outgoing connection to a peer with a higher node id (the lower id dials, so each pair
/// of nodes shares one connection): connect, greet, wait for the welcome (with the cluster secret:
/// greet with a nonce, check the peer's proof in its challenge, answer with this node's proof, and
/// take no welcome from a peer that proved nothing); on refusal or loss,
/// reconnect with exponential backoff from 20 ms up to `peer_timeout` (at most 1 s): a peer whose
/// transport restarted is reached again well within an election timeout.
///
/// Every callback runs on one event loop, which confines the mutable state; hence `@unchecked Sendable`.
final class PeerDialer: Redialing, @unchecked Sendable {
    let redial: RedialState
    private let member: Member
    private let identity: PeerSession.Identity
    private let table: PeerTable
    private let logger: Logger
    private var welcomed = false
    /// This connection's greeting nonce, when this node proves the cluster secret.
    private var nonce: [UInt8]?
    /// Whether the peer proved the cluster secret on this connection.
    private var peerProved = false
    /// Whether the server's TLS certificate was found to name the member, on this connection.
    private var serverVerified = false
    private var assembler = PeerChunking.Assembler()
    private var lastProblem: String?

    init(member: Member, identity: PeerSession.Identity, table: PeerTable, peerTimeoutMs: Int, loop: EventLoop, logger: Logger) {
        self.member = member
        self.identity = identity
        self.table = table
        self.redial = RedialState(loop: loop, initialMs: 20, maxMs: Int64(min(peerTimeoutMs, 1000)))
        self.logger = logger
    }

    func connect() {
        guard !redial.stopped else { return }
        let peerID = member.id
        ClientBootstrap(group: redial.loop)
            .connectTimeout(.milliseconds(redial.maxMs))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try identity.tls?.addClientHandler(to: channel)
                    try channel.pipeline.syncOperations.addHandler(
                        FrameChannelHandler(
                            what: "connection to peer \(peerID)", logger: logger,
                            onError: { error, _ in
                                guard PeerTLS.isTLSError(error) else { return }
                                self.problem("TLS with peer \(peerID) at \(self.member.address) failed: \(error)")
                            }
                        ) { frame, context in
                            self.receive(frame, context: context)
                        })
                }
            }
            .connect(host: member.host, port: member.port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.connected(channel)
                case .failure(let error):
                    self.problem("cannot reach peer \(peerID) at \(self.member.address): \(error)")
                    self.retry()
                }
            }
    }

    private func connected(_ channel: Channel) {
        guard adopt(channel) else { return }
        welcomed = false
        peerProved = false
        serverVerified = false
        assembler = PeerChunking.Assembler()
        nonce = identity.secret.map { _ in PeerAuthentication.nonce() }
        let hello = PeerHello(clusterName: identity.cluster, nodeId: identity.nodeId, nonce: nonce)
        channel.send(Frame(type: PeerFrameType.hello, payload: hello.encoded()))
        channel.closeFuture.whenComplete { _ in
            self.redial.channel = nil
            if self.welcomed {
                self.logger.warning("lost peer", metadata: ["peer": "\(self.member.id)", "address": "\(self.member.address)"])
                self.table.disconnected(UInt64(self.member.id), channel: channel)
                self.resetBackoff()
            }
            self.welcomed = false
            self.retry()
        }
    }

    private func receive(_ frame: Frame, context: ChannelHandlerContext) {
        if welcomed { table.heard(UInt64(member.id), channel: context.channel) }
        if identity.tls != nil, !serverVerified {
            // The first frame: the server's certificate must name the member dialled.
            if let mismatch = PeerTLS.mismatch(on: context, nodeId: UInt64(member.id), cluster: identity.cluster, host: member.host) {
                problem("peer \(member.id) at \(member.address) is not who this node dialled: \(mismatch); closed")
                context.close(promise: nil)
                return
            }
            serverVerified = true
        }
        switch frame.type {
        case PeerFrameType.challenge where !welcomed:
            answer(frame.payload, context: context)
        case PeerFrameType.welcome where identity.secret != nil && !peerProved:
            problem("peer \(member.id) at \(member.address) welcomed this node without proving the cluster secret: "
                + "it is not pgraft, or something between the two nodes answers for it; closed", repeats: "unproven welcome")
            context.close(promise: nil)
        case PeerFrameType.welcome:
            welcomed = true
            table.connected(UInt64(member.id), channel: context.channel)
            lastProblem = nil
            resetBackoff()
            logger.info("peer connected", metadata: ["peer": "\(member.id)", "address": "\(member.address)", "dialled": "true"])
        case PeerFrameType.refusal:
            let refusal = PeerRefusal.decode(frame.payload)
            // A duplicate's reason names this connection's port, new on every retry: log it once.
            problem("peer \(member.id) at \(member.address) refused this node: \(refusal.reason)", repeats: refusal.kind == .duplicate ? "duplicate" : nil)
            if refusal.kind == .notAMember { table.refusedAsNonMember(by: UInt64(member.id)) }
            context.close(promise: nil)
        case PeerFrameType.raft where welcomed:
            table.received(HubPeerMessage(peer: UInt64(member.id), message: frame.payload))
        case PeerFrameType.raftChunk where welcomed:
            do {
                if let message = try assembler.add(frame.payload) {
                    table.received(HubPeerMessage(peer: UInt64(member.id), message: message))
                }
            } catch {
                problem("peer \(member.id) sent a bad chunk: \(error)")
                context.close(promise: nil)
            }
        default:
            break
        }
    }

    /// The peer's challenge: check its proof of the secret, then prove it in turn.
    private func answer(_ payload: [UInt8], context: ChannelHandlerContext) {
        guard let secret = identity.secret, let nonce else {
            problem("peer \(member.id) at \(member.address) sent a challenge this node did not ask for (it greets without a "
                + "cluster secret): not pgraft, or something between the two nodes; closed", repeats: "challenge without secret")
            context.close(promise: nil)
            return
        }
        let challenge: PeerChallenge
        do {
            challenge = try PeerChallenge.decode(payload)
        } catch {
            problem("peer \(member.id) at \(member.address) sent a malformed challenge: \(error)")
            context.close(promise: nil)
            return
        }
        let transcript = PeerAuthentication.Transcript(
            cluster: identity.cluster, dialer: identity.nodeId, acceptor: UInt64(member.id), dialerNonce: nonce,
            acceptorNonce: challenge.nonce)
        guard challenge.nodeId == UInt64(member.id), PeerAuthentication.verify(challenge.proof, by: .acceptor, of: transcript, secret: secret)
        else {
            problem("peer \(member.id) at \(member.address) could not prove the cluster secret: its cluster_secret_file differs "
                + "from this node's, or it is not node \(member.id); closed")
            context.close(promise: nil)
            return
        }
        peerProved = true
        context.channel.send(Frame(type: PeerFrameType.proof, payload: PeerAuthentication.proof(.dialer, of: transcript, secret: secret)))
    }

    /// Logs a problem once, not on every retry; `repeats` names a problem whose text changes from retry to retry.
    private func problem(_ text: String, repeats: String? = nil) {
        let key = repeats ?? text
        guard key != lastProblem else { return }
        lastProblem = key
        logger.warning("\(text); retrying with backoff up to \(redial.maxMs) ms")
    }
}

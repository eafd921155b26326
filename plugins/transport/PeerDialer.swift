import Logging
import NIOCore
import NIOPosix
import PGRaftKit

/// Keeps one outgoing connection to a peer with a higher node id (the lower id dials, so each pair
/// of nodes shares one connection): connect, greet, wait for the welcome; on refusal or loss,
/// reconnect with exponential backoff from 100 ms up to `peer_timeout`.
///
/// Every callback runs on one event loop, which confines the mutable state; hence `@unchecked Sendable`.
final class PeerDialer: @unchecked Sendable {
    private let member: Member
    private let identity: PeerSession.Identity
    private let table: PeerTable
    private let logger: Logger
    private let loop: EventLoop
    private let maxBackoffMs: Int64
    private var backoffMs: Int64 = 100
    private var channel: Channel?
    private var welcomed = false
    private var lastProblem: String?
    private var stopped = false

    init(member: Member, identity: PeerSession.Identity, table: PeerTable, peerTimeoutMs: Int, loop: EventLoop, logger: Logger) {
        self.member = member
        self.identity = identity
        self.table = table
        self.loop = loop
        self.maxBackoffMs = Int64(max(peerTimeoutMs, 100))
        self.logger = logger
    }

    /// Starts dialling.
    func start() {
        loop.execute { self.connect() }
    }

    /// Stops dialling and closes the connection.
    func stop() {
        loop.execute {
            self.stopped = true
            self.channel?.close(promise: nil)
        }
    }

    private func connect() {
        guard !stopped else { return }
        let peerID = member.id
        ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(maxBackoffMs))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FrameChannelHandler(what: "connection to peer \(peerID)", logger: logger) { frame, context in
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
        guard !stopped else {
            channel.close(promise: nil)
            return
        }
        self.channel = channel
        welcomed = false
        let hello = PeerHello(clusterName: identity.cluster, nodeId: identity.nodeId)
        channel.writeAndFlush(channel.allocator.buffer(bytes: Frame(type: PeerFrameType.hello, payload: hello.encoded()).encoded()), promise: nil)
        channel.closeFuture.whenComplete { _ in
            self.channel = nil
            if self.welcomed {
                self.logger.warning("lost peer", metadata: ["peer": "\(self.member.id)", "address": "\(self.member.address)"])
                self.table.disconnected(UInt64(self.member.id), channel: channel)
                self.backoffMs = 100
            }
            self.welcomed = false
            self.retry()
        }
    }

    private func receive(_ frame: Frame, context: ChannelHandlerContext) {
        switch frame.type {
        case PeerFrameType.welcome:
            welcomed = true
            table.connected(UInt64(member.id), channel: context.channel)
            lastProblem = nil
            backoffMs = 100
            logger.info("peer connected", metadata: ["peer": "\(member.id)", "address": "\(member.address)", "dialled": "true"])
        case PeerFrameType.refusal:
            var reader = WireReader(frame.payload)
            let reason = (try? reader.string()) ?? "no reason given"
            problem("peer \(member.id) at \(member.address) refused this node: \(reason)")
            context.close(promise: nil)
        case PeerFrameType.raft where welcomed:
            table.received(HubPeerMessage(peer: UInt64(member.id), message: frame.payload))
        default:
            break
        }
    }

    /// Logs a problem once, not on every retry.
    private func problem(_ text: String) {
        guard text != lastProblem else { return }
        lastProblem = text
        logger.warning("\(text); retrying with backoff up to \(maxBackoffMs) ms")
    }

    private func retry() {
        guard !stopped else { return }
        let delay = backoffMs
        backoffMs = min(backoffMs * 2, maxBackoffMs)
        loop.scheduleTask(in: .milliseconds(delay)) { self.connect() }
    }
}

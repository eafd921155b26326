import CShims
import Logging
import NIOCore
import PGRaftKit
import PGRaftBytes

/// The connected peers, by node id, and the link to consensus; confined to one event loop (every
/// method hops onto it), hence `@unchecked Sendable`.
///
/// Liveness: a connection that carried nothing for a quarter of `peer_timeout` gets a ping, and one
/// from which nothing was heard for `peer_timeout` is closed (the peer is reported down to consensus
/// and its dialer reconnects), so a peer that hangs is noticed even where Raft sends nothing.
final class PeerTable: @unchecked Sendable {
    private struct Link {
        let channel: Channel
        var lastHeardMs: Int64
        var lastSentMs: Int64
    }

    private let loop: EventLoop
    private let logger: Logger
    private let counters: ComponentCounters?
    private var links: [UInt64: Link] = [:]
    private var hub: Channel?
    /// Messages dropped because the peer was not connected or its send buffer was full.
    private(set) var dropped = 0

    /// A table on `loop`; `counters` (the transport's slot in the segment) count messages, bytes and drops.
    init(loop: EventLoop, logger: Logger, counters: ComponentCounters?) {
        self.loop = loop
        self.logger = logger
        self.counters = counters
    }

    /// `peer` welcomed this node on `channel`, a connection this node dialled to the member's
    /// configured address: it replaces any other link for `peer`.
    func connected(_ peer: UInt64, channel: Channel) {
        loop.execute {
            self.links[peer]?.channel.close(promise: nil)
            let now = pgr_monotonic_ms()
            self.links[peer] = Link(channel: channel, lastHeardMs: now, lastSentMs: now)
            self.counters?.increment(.connectionsOpened)
            self.notifyHub(peer: peer, .connected)
        }
    }

    /// What became of an accepted connection's claim to a member's id.
    enum Claim: Equatable {
        /// The connection is now the member's link.
        case granted
        /// A live link, from the given remote address, already holds the id: two processes claim
        /// it (a node's configuration copied to a second host), and the first one keeps it.
        case heldBy(String)
    }

    /// An accepted connection on `channel` greeted as `peer`: it becomes the peer's link unless a
    /// live link already holds the id, so a second process with a member's id cannot displace the
    /// member (each taking the id from the other would make both links flap). A link that died
    /// without a close is dropped by `watchLiveness` within `peer_timeout`, after which the real
    /// member's redial is granted. Runs on the table's loop, which every peer channel shares.
    func claim(_ peer: UInt64, channel: Channel) -> Claim {
        loop.preconditionInEventLoop()
        if let held = links[peer]?.channel, held !== channel, held.isActive {
            return .heldBy(held.remoteAddress.display)
        }
        links[peer]?.channel.close(promise: nil)
        let now = pgr_monotonic_ms()
        links[peer] = Link(channel: channel, lastHeardMs: now, lastSentMs: now)
        counters?.increment(.connectionsOpened)
        notifyHub(peer: peer, .connected)
        return .granted
    }

    /// `peer` refused this node's greeting: its membership does not include this node.
    func refusedAsNonMember(by peer: UInt64) {
        loop.execute { self.notifyHub(peer: peer, .refusedAsNonMember) }
    }

    /// The connection to `peer` on `channel` is gone.
    func disconnected(_ peer: UInt64, channel: Channel) {
        loop.execute {
            guard self.links[peer]?.channel === channel else { return }
            self.links[peer] = nil
            self.notifyHub(peer: peer, .disconnected)
        }
    }

    /// Consensus connected (or reconnected) on `channel`: it learns which peers are up.
    func hubConnected(_ channel: Channel) {
        loop.execute {
            self.hub = channel
            for peer in self.links.keys.sorted() { self.notifyHub(peer: peer, .connected) }
        }
    }

    /// Consensus's connection is gone.
    func hubDisconnected(_ channel: Channel) {
        loop.execute { if self.hub === channel { self.hub = nil } }
    }

    /// Sends a Raft message to a peer, or drops it (Raft retransmits what matters).
    func send(_ message: HubPeerMessage) {
        loop.execute {
            guard let channel = self.links[message.peer]?.channel, channel.isWritable else {
                self.drop("to peer \(message.peer)")
                return
            }
            self.counters?.increment(.messagesSent)
            self.counters?.increment(.bytesSent, by: UInt64(message.message.count))
            // A large message (a snapshot) goes as consecutive chunks, all of them or none.
            for frame in PeerChunking.frames(for: message.message) {
                channel.write(channel.allocator.buffer(bytes: frame.encoded()), promise: nil)
            }
            channel.flush()
            self.links[message.peer]?.lastSentMs = pgr_monotonic_ms()
        }
    }

    /// Hands a Raft message from a peer to consensus, or drops it when consensus is not connected.
    func received(_ message: HubPeerMessage) {
        loop.execute {
            guard let hub = self.hub, hub.isWritable else {
                self.drop("from peer \(message.peer): consensus is not connected")
                return
            }
            self.counters?.increment(.messagesReceived)
            self.counters?.increment(.bytesReceived, by: UInt64(message.message.count))
            hub.send(Frame(type: HubFrameType.peerReceived, payload: message.encoded()))
        }
    }

    /// Closes the connections of peers that are no longer members (a removed node stops hearing
    /// from the cluster, and its messages stop reaching it).
    func keepOnly(_ members: Set<UInt64>) {
        loop.assertInEventLoop()
        for (peer, link) in links where !members.contains(peer) {
            logger.info("closing the connection of peer \(peer): no longer a member")
            link.channel.close(promise: nil)
        }
    }

    /// Something arrived from `peer` on `channel`.
    func heard(_ peer: UInt64, channel: Channel) {
        loop.assertInEventLoop()
        if links[peer]?.channel === channel { links[peer]?.lastHeardMs = pgr_monotonic_ms() }
    }

    /// Starts pinging idle connections and closing silent ones, every quarter of `timeoutMs`.
    func watchLiveness(timeoutMs: Int) {
        let period = Int64(max(10, timeoutMs / 4))
        loop.scheduleRepeatedTask(initialDelay: .milliseconds(period), delay: .milliseconds(period)) { _ in
            let now = pgr_monotonic_ms()
            for (peer, link) in self.links {
                if now - link.lastHeardMs > Int64(timeoutMs) {
                    self.logger.warning("closing the connection of peer \(peer): nothing heard for \(now - link.lastHeardMs) ms (peer_timeout \(timeoutMs) ms)")
                    self.counters?.increment(.connectionErrors)
                    link.channel.close(promise: nil)
                } else if now - link.lastSentMs >= period {
                    link.channel.send(Frame(type: PeerFrameType.ping, payload: []))
                    self.links[peer]?.lastSentMs = now
                }
            }
        }
    }

    private func notifyHub(peer: UInt64, _ state: HubPeerState) {
        guard let hub else { return }
        var writer = ByteWriter()
        writer.u64(peer)
        writer.u8(state.rawValue)
        hub.send(Frame(type: HubFrameType.peerStatus, payload: writer.bytes))
    }

    private func drop(_ what: String) {
        dropped += 1
        counters?.increment(.messagesDropped)
        logger.debug("dropped a raft message \(what)", metadata: ["dropped_total": "\(dropped)"])
    }
}

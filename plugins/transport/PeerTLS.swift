import Logging
import NIOCore
import NIOSSL
import PGRaftKit
import PGRaftTLS

/// The peer port's mutual TLS (`tls:`): the contexts of both ends of a connection, reloaded when the
/// files change, and the check that the other side's certificate names the member it claims to be.
struct PeerTLS: Sendable {
    /// For connections this node accepts: a client certificate chaining to `ca_file` is required.
    let server: TLSContextSource
    /// For connections this node dials: the server's certificate must chain to `ca_file`.
    let client: TLSContextSource
    let logger: Logger

    /// The contexts of `files`.
    /// - Throws: `TLSFilesError` naming the file that does not load.
    init(files: TLSFiles, logger: Logger) throws(TLSFilesError) {
        server = try TLSContextSource(files: files, role: .peerServer)
        client = try TLSContextSource(files: files, role: .peerClient)
        self.logger = logger
    }

    /// Puts the TLS handler of an accepted connection first in `channel`'s pipeline.
    func addServerHandler(to channel: Channel) throws {
        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: server.current(report: report)))
    }

    /// Puts the TLS handler of a dialled connection first in `channel`'s pipeline.
    func addClientHandler(to channel: Channel) throws {
        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: client.current(report: report), serverHostname: nil))
    }

    private func report(_ text: String) {
        logger.notice("\(text)")
    }

    /// Why the certificate the other side of `context`'s connection presented does not name node
    /// `nodeId` of `cluster` (or `host`, the host of its address), or nil when it does.
    static func mismatch(on context: ChannelHandlerContext, nodeId: UInt64, cluster: String, host: String?) -> String? {
        guard let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self) else {
            return "the connection is not TLS"
        }
        guard let certificate = handler.peerCertificate else { return "no TLS certificate was presented" }
        guard let identity = NodeIdentity(certificate) else { return "its TLS certificate cannot be parsed" }
        if identity.names(nodeId: nodeId, cluster: cluster, host: host) { return nil }
        return "its TLS certificate names \(identity.summary), not node \(nodeId) of cluster '\(cluster)'"
            + (host.map { " nor its host \($0)" } ?? "")
    }

    /// Whether `error` comes from TLS (a handshake that failed: no certificate, another authority,
    /// an expired one, not TLS at all).
    static func isTLSError(_ error: Error) -> Bool {
        error is NIOSSLError || error is BoringSSLError
    }
}

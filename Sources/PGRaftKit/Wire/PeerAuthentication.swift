import Crypto
import PGRaftBytes

/// The cluster secret's challenge-response at the peer handshake (`cluster_secret_file`).
///
/// The dialling node sends a fresh nonce in its greeting; the accepting node answers with its own
/// nonce and a proof, an HMAC-SHA256 under the secret of both nonces, both node ids and the cluster
/// name; the dialling node checks it and answers with its proof of the same facts under another
/// label. Each side proves the secret to the other without sending it, and a proof recorded from
/// one handshake is worthless in the next, whose nonce the other side chose afresh. The labels keep
/// a proof from being reflected back in the other direction.
public enum PeerAuthentication {
    /// The bytes of a nonce.
    public static let nonceBytes = 32
    /// The bytes of a proof (an HMAC-SHA256).
    public static let proofBytes = 32

    /// Which side a proof comes from.
    public enum Side: String, Sendable {
        /// The node that accepted the connection: its proof travels in the challenge.
        case acceptor = "pgraft peer acceptor v1"
        /// The node that dialled: its proof answers the challenge.
        case dialer = "pgraft peer dialer v1"
    }

    /// The facts one handshake proves: who dialled whom in which cluster, with which nonces.
    public struct Transcript: Sendable, Equatable {
        /// The cluster both nodes claim.
        public var cluster: String
        /// The dialling node's id.
        public var dialer: UInt64
        /// The accepting node's id.
        public var acceptor: UInt64
        /// The nonce of the dialling node's greeting.
        public var dialerNonce: [UInt8]
        /// The nonce of the accepting node's challenge.
        public var acceptorNonce: [UInt8]

        /// The transcript of one handshake.
        public init(cluster: String, dialer: UInt64, acceptor: UInt64, dialerNonce: [UInt8], acceptorNonce: [UInt8]) {
            self.cluster = cluster
            self.dialer = dialer
            self.acceptor = acceptor
            self.dialerNonce = dialerNonce
            self.acceptorNonce = acceptorNonce
        }

        /// The bytes `side` authenticates: its label, then every fact, each length-prefixed.
        func message(for side: Side) -> [UInt8] {
            var writer = ByteWriter()
            writer.string(side.rawValue)
            writer.string(cluster)
            writer.u64(dialer)
            writer.u64(acceptor)
            writer.blob(dialerNonce)
            writer.blob(acceptorNonce)
            return writer.bytes
        }
    }

    /// A fresh nonce from the system's cryptographic random source.
    public static func nonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<nonceBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// `side`'s proof of `transcript` under `secret`.
    public static func proof(_ side: Side, of transcript: Transcript, secret: ClusterSecret) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: transcript.message(for: side), using: SymmetricKey(data: secret.bytes)))
    }

    /// Whether `proof` is `side`'s proof of `transcript` under `secret`, compared in constant time.
    public static func verify(_ proof: [UInt8], by side: Side, of transcript: Transcript, secret: ClusterSecret) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(proof, authenticating: transcript.message(for: side), using: SymmetricKey(data: secret.bytes))
    }
}

/// The accepting node's answer to a greeting with a nonce, when it holds the cluster secret:
/// its id, its nonce and its proof (frame `PeerFrameType.challenge`).
public struct PeerChallenge: Sendable, Equatable {
    /// The accepting node's id.
    public var nodeId: UInt64
    /// Its nonce.
    public var nonce: [UInt8]
    /// Its proof of the handshake (`PeerAuthentication.Side.acceptor`).
    public var proof: [UInt8]

    /// A challenge.
    public init(nodeId: UInt64, nonce: [UInt8], proof: [UInt8]) {
        self.nodeId = nodeId
        self.nonce = nonce
        self.proof = proof
    }

    /// The frame payload.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.u64(nodeId)
        writer.raw(nonce)
        writer.raw(proof)
        return writer.bytes
    }

    /// Decodes a payload; anything but exactly one challenge is an error.
    public static func decode(_ payload: [UInt8]) throws(ByteDecodeError) -> PeerChallenge {
        var reader = ByteReader(payload)
        let node = try reader.u64()
        let nonce = try reader.raw(PeerAuthentication.nonceBytes)
        let proof = try reader.raw(PeerAuthentication.proofBytes)
        try reader.expectEnd()
        return PeerChallenge(nodeId: node, nonce: nonce, proof: proof)
    }
}

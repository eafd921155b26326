import Foundation
import PGRaftBytes
import Testing

@testable import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@Suite struct PeerAuthenticationTests {
    let secret = ClusterSecret(bytes: Array("0123456789abcdef0123456789abcdef-demo".utf8), path: "/etc/pgraft/secret")
    let other = ClusterSecret(bytes: Array("0123456789abcdef0123456789abcdef-else".utf8), path: "/etc/pgraft/secret")

    func transcript(dialerNonce: [UInt8]? = nil, acceptorNonce: [UInt8]? = nil) -> PeerAuthentication.Transcript {
        PeerAuthentication.Transcript(
            cluster: "demo", dialer: 1, acceptor: 2, dialerNonce: dialerNonce ?? [UInt8](repeating: 1, count: 32),
            acceptorNonce: acceptorNonce ?? [UInt8](repeating: 2, count: 32))
    }

    @Test func eachSidesProofVerifiesOnlyUnderTheSameSecretForTheSameHandshake() {
        let facts = transcript()
        for side in [PeerAuthentication.Side.acceptor, .dialer] {
            let proof = PeerAuthentication.proof(side, of: facts, secret: secret)
            #expect(proof.count == PeerAuthentication.proofBytes)
            #expect(PeerAuthentication.verify(proof, by: side, of: facts, secret: secret))
            #expect(!PeerAuthentication.verify(proof, by: side, of: facts, secret: other), "another cluster's secret")
            var flipped = proof
            flipped[5] ^= 0x40
            #expect(!PeerAuthentication.verify(flipped, by: side, of: facts, secret: secret), "a damaged proof")
            #expect(!PeerAuthentication.verify(Array(proof.dropLast()), by: side, of: facts, secret: secret), "a short proof")
        }
    }

    @Test func aRecordedProofIsWorthlessInAnotherHandshakeOrTheOtherDirection() {
        let recorded = transcript()
        let proof = PeerAuthentication.proof(.dialer, of: recorded, secret: secret)
        // The acceptor chose a new nonce: the replayed proof does not answer it.
        #expect(!PeerAuthentication.verify(proof, by: .dialer, of: transcript(acceptorNonce: PeerAuthentication.nonce()), secret: secret))
        // Reflected back as the acceptor's proof of the same facts.
        #expect(!PeerAuthentication.verify(proof, by: .acceptor, of: recorded, secret: secret))
        // The same facts for other nodes or another cluster.
        var moved = recorded
        moved.dialer = 3
        #expect(!PeerAuthentication.verify(proof, by: .dialer, of: moved, secret: secret))
        var renamed = recorded
        renamed.cluster = "demo2"
        #expect(!PeerAuthentication.verify(proof, by: .dialer, of: renamed, secret: secret))
    }

    @Test func noncesAreFreshAndFullLength() {
        let nonces = (0..<100).map { _ in PeerAuthentication.nonce() }
        #expect(nonces.allSatisfy { $0.count == PeerAuthentication.nonceBytes })
        #expect(Set(nonces).count == nonces.count)
    }

    @Test func aGreetingCarriesAWholeNonceOrNone() throws {
        let nonce = PeerAuthentication.nonce()
        let hello = PeerHello(clusterName: "demo", nodeId: 3, nonce: nonce)
        #expect(try PeerHello.decode(hello.encoded()) == hello)
        #expect(try PeerHello.decode(PeerHello(clusterName: "demo", nodeId: 3).encoded()).nonce == nil)
        #expect(throws: ByteDecodeError.self) { try PeerHello.decode(Array(hello.encoded().dropLast())) }
        #expect(throws: ByteDecodeError.self) { try PeerHello.decode(hello.encoded() + [0]) }
    }

    @Test func aChallengeRoundTripsAndAnythingElseIsRefused() throws {
        let challenge = PeerChallenge(nodeId: 2, nonce: PeerAuthentication.nonce(), proof: [UInt8](repeating: 9, count: 32))
        #expect(try PeerChallenge.decode(challenge.encoded()) == challenge)
        #expect(throws: ByteDecodeError.self) { try PeerChallenge.decode(Array(challenge.encoded().dropLast())) }
        #expect(throws: ByteDecodeError.self) { try PeerChallenge.decode(challenge.encoded() + [0]) }
    }

    @Test func aGreetingThatDoesNotMatchThisNodesUseOfTheSecretIsRefused() {
        let plain = PeerHello(clusterName: "demo", nodeId: 2)
        let offering = PeerHello(clusterName: "demo", nodeId: 2, nonce: PeerAuthentication.nonce())
        let withoutProof = plain.refusal(cluster: "demo", ownId: 1, members: nil, hasSecret: true)
        #expect(withoutProof?.kind == .unauthenticated)
        #expect(withoutProof?.reason.contains("node 2's greeting offers none") == true)
        let unexpected = offering.refusal(cluster: "demo", ownId: 1, members: nil, hasSecret: false)
        #expect(unexpected?.kind == .unauthenticated)
        #expect(unexpected?.reason.contains("this node has no cluster_secret_file") == true)
        #expect(offering.refusal(cluster: "demo", ownId: 1, members: nil, hasSecret: true) == nil)
        #expect(plain.refusal(cluster: "demo", ownId: 1, members: nil, hasSecret: false) == nil)
    }
}

@Suite struct ClusterSecretFileTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "pgraft-secret-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func write(_ text: String, mode: mode_t = 0o600, name: String = "secret") -> String {
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        chmod(path, mode)
        return path
    }

    func problem(_ path: String) -> String? {
        do {
            _ = try ClusterSecret.load(path: path)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aGoodFileGivesItsLineWithoutTrailingWhiteSpaceAndIsNeverShown() throws {
        let text = "v1Yx7m3QpXz0c9Lw2Nf8Rk4Hs6Tb1Ud5Ge7Jq"
        let secret = try ClusterSecret.load(path: write(text + " \r\n"))
        #expect(secret.bytes == Array(text.utf8))
        for shown in [secret.description, String(reflecting: secret), "\(secret)"] {
            #expect(!shown.contains(text.prefix(8)), "\(shown)")
        }
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains(text.prefix(8)))
    }

    @Test func aCreatedSecretIsOwnerOnlyReadsBackAndIsNeverOverwritten() throws {
        let path = directory + "/made"
        let made = try ClusterSecret.create(path: path)
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        #expect(made.bytes.count == 64)
        #expect(try ClusterSecret.load(path: path).bytes == made.bytes)
        #expect(try ClusterSecret.create(path: directory + "/other").bytes != made.bytes)
        do {
            _ = try ClusterSecret.create(path: path)
            Issue.record("an existing secret was overwritten")
        } catch {
            #expect(error.description.contains("it already exists; a secret is never overwritten"))
        }
        #expect(try ClusterSecret.load(path: path).bytes == made.bytes)
    }

    @Test func aFileOthersMayReadOrTooShortOrMissingIsRefusedNamingTheFileAndTheFix() {
        let open = write(String(repeating: "k", count: 40), mode: 0o644, name: "open")
        #expect(problem(open)?.contains("cluster_secret_file \(open): group or others may read or write it (mode 644): run chmod 600") == true)
        let short = write("short\n", name: "short")
        #expect(problem(short)?.contains("it holds 5 bytes") == true)
        #expect(problem(short)?.contains("pgraftctl secret init") == true)
        #expect(problem(directory + "/absent")?.contains("cannot open it: No such file or directory") == true)
        let huge = write(String(repeating: "k", count: ClusterSecret.maximumBytes + 1), name: "huge")
        #expect(problem(huge)?.contains("more than the 4096 it may have") == true)
        #expect(problem(directory)?.contains("not a regular file") == true)
        // The refusal never quotes the content.
        #expect(problem(short)?.contains("short\n") == false)
    }
}

@Suite struct APITokensTests {
    @Test func tokensAreLinesWithCommentsAndBlanksSkippedAndCompareExactly() throws {
        let tokens = try APITokens(text: "# rotated 2026-12\n\n  first-token-abcdefgh \r\nsecond-token-ijklmnop\n", path: "/t")
        #expect(tokens.count == 2)
        #expect(tokens.first == "first-token-abcdefgh")
        #expect(tokens.accepts("first-token-abcdefgh") && tokens.accepts("second-token-ijklmnop"))
        for other in ["first-token-abcdefg", "first-token-abcdefghi", "", "# rotated 2026-12", " first-token-abcdefgh"] {
            #expect(!tokens.accepts(other), "\(other)")
        }
        #expect(!"\(tokens)".contains("first-token"))
    }

    @Test func aMalformedTokenFileNamesTheLineAndNeverTheToken() {
        func problem(_ text: String) -> String? {
            do {
                _ = try APITokens(text: text, path: "/etc/pgraft/api.tokens")
                return nil
            } catch {
                return error.description
            }
        }
        #expect(problem("good-token-0123456789\nshort\n") == "api.token_file /etc/pgraft/api.tokens: line 2: a token has 5 characters, fewer than 16: make one with pgraftctl secret init FILE")
        #expect(problem("with space inside token\n")?.contains("line 1: a token is printable ASCII without spaces") == true)
        #expect(problem("# only a comment\n\n")?.contains("it holds no token") == true)
        #expect(problem("with space inside token\n")?.contains("inside") == false)
    }
}

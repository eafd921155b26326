import Crypto
import Foundation
import PGRaftKit
import SwiftASN1
import X509

/// The files of `pgraftctl cert`: an authority's `ca.crt` and `ca.key` in one directory, and a
/// node's `NAME.crt` and `NAME.key`. Keys are written owner-only; every file is written whole to a
/// temporary name and renamed into place, so a transport that reloads a renewed certificate never
/// reads half of one.
public enum CertificateFiles {
    /// The authority's certificate in `directory`.
    public static func authorityCertificate(in directory: String) -> String { directory + "/ca.crt" }
    /// The authority's key in `directory`.
    public static func authorityKey(in directory: String) -> String { directory + "/ca.key" }

    /// Makes a new authority named `name` in `directory` (created if needed).
    /// - Throws: `CertificateFilesError` when an authority is already there (it is never replaced:
    ///   every certificate it signed would stop being trusted) or a file cannot be written.
    public static func createAuthority(in directory: String, name: String, days: Int) throws -> CertificateAuthority {
        let certificatePath = authorityCertificate(in: directory)
        for path in [certificatePath, authorityKey(in: directory)] where FileManager.default.fileExists(atPath: path) {
            throw CertificateFilesError("\(path) already exists; an authority is never replaced (every certificate it signed would stop being trusted)")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CertificateFilesError("cannot create \(directory): \(error.localizedDescription)")
        }
        let authority = try CertificateAuthority.make(name: name, days: days)
        try write(authority.privateKey.pemRepresentation, to: authorityKey(in: directory), mode: 0o600)
        try write(try authority.certificate.serializeAsPEM().pemString, to: certificatePath, mode: 0o644)
        return authority
    }

    /// The authority in `directory`.
    /// - Throws: `CertificateFilesError` naming the file that is missing or does not parse.
    public static func loadAuthority(in directory: String) throws -> CertificateAuthority {
        let certificatePath = authorityCertificate(in: directory)
        let keyPath = authorityKey(in: directory)
        let certificate: Certificate
        let key: P256.Signing.PrivateKey
        do {
            certificate = try Certificate(pemEncoded: try String(contentsOfFile: certificatePath, encoding: .utf8))
        } catch {
            throw CertificateFilesError("\(certificatePath): not an authority's PEM certificate: \(error)")
        }
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOfFile: keyPath, encoding: .utf8))
        } catch {
            throw CertificateFilesError("\(keyPath): not a P-256 PEM private key (pgraftctl cert init makes one): \(error)")
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw CertificateFilesError("\(keyPath) is not the key of \(certificatePath)")
        }
        return CertificateAuthority(certificate: certificate, privateKey: key)
    }

    /// Issues a certificate for node `nodeId` of `cluster` at `hosts` and writes `prefix.crt` and
    /// `prefix.key`, replacing earlier ones (a renewal, which a running transport picks up).
    /// Returns the two paths.
    public static func issue(
        by authority: CertificateAuthority, nodeId: UInt64, cluster: String, hosts: [String], days: Int, prefix: String
    ) throws -> (certificate: String, key: String) {
        let issued = try authority.issue(nodeId: nodeId, cluster: cluster, hosts: hosts, days: days)
        return try write(certificate: issued.certificate, key: issued.privateKey, prefix: prefix)
    }

    /// Writes `certificate` to `prefix.crt` and `key` to `prefix.key` (owner-only), each whole and
    /// renamed into place, the key first; returns the two paths.
    public static func write(certificate: Certificate, key: P256.Signing.PrivateKey, prefix: String) throws -> (certificate: String, key: String) {
        let paths = (certificate: prefix + ".crt", key: prefix + ".key")
        try write(key.pemRepresentation, to: paths.key, mode: 0o600)
        try write(try certificate.serializeAsPEM().pemString, to: paths.certificate, mode: 0o644)
        return paths
    }

    /// Writes `text` to `path` with `mode`: whole, flushed, then renamed into place.
    static func write(_ text: String, to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw CertificateFilesError("cannot write \(path): \(String(cString: strerror(errno)))") }
        let bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced, fchmodat(AT_FDCWD, temporary, mode, 0) == 0, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CertificateFilesError("cannot write \(path): \(reason)")
        }
    }
}

/// A `pgraftctl cert` file that cannot be made or read.
public struct CertificateFilesError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, naming the file.
    public let description: String

    /// The error.
    public init(_ description: String) {
        self.description = description
    }
}

import Foundation
import NIOSSL
import PGRaftKit

/// The TLS context of one endpoint, made from its configured files (`TLSFiles`) and made again when
/// any of them changes on disk, so a renewed certificate takes effect on the next connection without
/// a restart (established connections keep theirs). A change that does not load (a half-written
/// file, a key that does not match) keeps the previous context and is reported once.
///
/// Thread-safe: a lock guards the current context.
public final class TLSContextSource: @unchecked Sendable {
    /// Which end of a connection this context serves.
    public enum Role: Sendable {
        /// The accepting side of the peer port: a client certificate chaining to `ca_file` is required.
        case peerServer
        /// The dialling side of the peer port: the server's certificate must chain to `ca_file`.
        /// Host names are not checked by TLS; the transport checks that the certificate names the member.
        case peerClient
        /// The HTTP API: a client certificate is asked for and verified against `ca_file` when one
        /// is offered (it then authenticates the request); none is required.
        case apiServer
    }

    private let files: TLSFiles
    private let role: Role
    private let lock = NSLock()
    private var context: NIOSSLContext
    private var stamps: [FileStamp?]
    private var lastFailure: String?

    /// A source for `files` in `role`, loading them now.
    /// - Throws: `TLSFilesError` naming the file that does not load and why.
    public init(files: TLSFiles, role: Role) throws(TLSFilesError) {
        self.files = files
        self.role = role
        stamps = Self.stamps(of: files)
        context = try Self.makeContext(files, role: role)
    }

    /// The context for a new connection: the files are checked for changes first, and a changed
    /// set that loads replaces the context. `report` hears of a reload or of a failed one (once
    /// per distinct failure).
    public func current(report: (String) -> Void = { _ in }) -> NIOSSLContext {
        lock.lock()
        defer { lock.unlock() }
        let now = Self.stamps(of: files)
        guard now != stamps else { return context }
        do {
            context = try Self.makeContext(files, role: role)
            stamps = now
            lastFailure = nil
            report("reloaded the TLS certificate, key and authority from \(files.certFile), \(files.keyFile)\(files.caFile.map { ", \($0)" } ?? "")")
        } catch {
            // Tried once per change of the files, not at every connection.
            stamps = now
            if lastFailure != error.description {
                lastFailure = error.description
                report("the TLS files changed but do not load, keeping the previous ones: \(error)")
            }
        }
        return context
    }

    /// A context for `files` in `role`.
    static func makeContext(_ files: TLSFiles, role: Role) throws(TLSFilesError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certFile)
        } catch {
            throw TLSFilesError(file: files.certFile, setting: "cert_file", "is not a PEM certificate chain: \(error)")
        }
        guard !chain.isEmpty else { throw TLSFilesError(file: files.certFile, setting: "cert_file", "holds no certificate") }
        do {
            _ = try SecretFile.read(path: files.keyFile, setting: "key_file", maxBytes: 1 << 20)
        } catch {
            throw TLSFilesError(file: files.keyFile, setting: "key_file", error.problem)
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.keyFile, format: .pem)
        } catch {
            throw TLSFilesError(file: files.keyFile, setting: "key_file", "is not a PEM private key: \(error)")
        }
        var roots: [NIOSSLCertificate] = []
        if let ca = files.caFile {
            do {
                roots = try NIOSSLCertificate.fromPEMFile(ca)
            } catch {
                throw TLSFilesError(file: ca, setting: "ca_file", "is not a PEM certificate: \(error)")
            }
            guard !roots.isEmpty else { throw TLSFilesError(file: ca, setting: "ca_file", "holds no certificate") }
        }
        var configuration: TLSConfiguration
        switch role {
        case .peerServer, .apiServer:
            configuration = .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            configuration.certificateVerification = role == .peerServer ? .noHostnameVerification : (roots.isEmpty ? .none : .optionalVerification)
        case .peerClient:
            configuration = .makeClientConfiguration()
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(key)
            configuration.certificateVerification = .noHostnameVerification
        }
        configuration.minimumTLSVersion = .tlsv12
        if !roots.isEmpty { configuration.trustRoots = .certificates(roots) }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSFilesError(file: files.keyFile, setting: "key_file", "does not make a TLS context with \(files.certFile): \(error)")
        }
    }

    /// What identifies each file's content on disk: inode, size and modification time.
    struct FileStamp: Equatable {
        let inode: UInt64
        let size: Int64
        let modified: Int64
    }

    private static func stamps(of files: TLSFiles) -> [FileStamp?] {
        [files.certFile, files.keyFile, files.caFile].map { path in
            guard let path else { return nil }
            var status = stat()
            guard stat(path, &status) == 0 else { return nil }
            return FileStamp(
                inode: UInt64(status.st_ino), size: Int64(status.st_size),
                modified: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec))
        }
    }
}

/// A TLS file that does not load: which setting names it, the file, and why.
public struct TLSFilesError: Error, Sendable, CustomStringConvertible, ComponentFailure {
    /// The file.
    public let file: String
    /// The key of the `tls:` mapping that names it.
    public let setting: String
    /// What is wrong.
    public let problem: String

    /// The error of `file`, named by `setting`.
    public init(file: String, setting: String, _ problem: String) {
        self.file = file
        self.setting = setting
        self.problem = problem
    }

    /// `tls SETTING FILE: problem`.
    public var description: String { "tls \(setting) \(file): \(problem)" }
    /// A restart does not repair a file: the component stays FAILED until the operator fixes it.
    public var isPermanent: Bool { true }
}

/// The files of one TLS endpoint (the peer port's `tls:`, the HTTP API's `api.tls:`): this node's
/// certificate chain and private key, and the certificate authority that peers' or clients'
/// certificates must be signed by. Paths are absolute.
public struct TLSFiles: Sendable, Equatable {
    /// PEM certificate chain, this node's certificate first (`cert_file`).
    public var certFile: String
    /// PEM private key of that certificate (`key_file`), an owner-only file.
    public var keyFile: String
    /// PEM certificates of the authority the other side's certificate must chain to (`ca_file`);
    /// nil where the other side need not present one (an API without client certificates).
    public var caFile: String?

    /// Files with explicit paths.
    public init(certFile: String, keyFile: String, caFile: String?) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.caFile = caFile
    }

    /// The keys of a `tls:` mapping.
    static let keys = ["cert_file", "key_file", "ca_file"]
}

extension ConfigSetting {
    /// A `tls:` mapping of `TLSFiles` (absent or null: no TLS); `caRequired` makes `ca_file` required.
    static func tls(
        _ key: String, _ field: WritableKeyPath<NodeConfig, TLSFiles?> & Sendable, caRequired: Bool, readers: ConfigReaders
    ) -> ConfigSetting {
        ConfigSetting(
            key: key, readers: readers,
            read: { reader, map, config in
                guard let entry = map.entry(key), ConfigValueKind(entry.value) != .null else {
                    config[keyPath: field] = nil
                    return true
                }
                guard let files = reader.readTLS(entry, label: map.label(key), caRequired: caRequired) else { return false }
                config[keyPath: field] = files
                return true
            },
            write: { config, out in
                guard let files = config[keyPath: field] else { return out.raw(key, "null") }
                out.section(key) { out in
                    out.string("cert_file", files.certFile)
                    out.string("key_file", files.keyFile)
                    if let ca = files.caFile { out.string("ca_file", ca) } else { out.raw("ca_file", "null") }
                }
            })
    }
}

extension ConfigReader {
    /// The `TLSFiles` of the mapping in `entry`, reported under `label`; nil after recording why.
    fileprivate mutating func readTLS(_ entry: ConfigMapping.Entry, label: String, caRequired: Bool) -> TLSFiles? {
        guard ConfigValueKind(entry.value) == .mapping else {
            error(entry.value.position, "\(label): expected a mapping {cert_file, key_file, ca_file}, got \(ConfigValueKind(entry.value).kindName)")
            return nil
        }
        guard let map = ConfigMapping(entry.value, path: label, anchor: entry.keyMark, knownKeys: TLSFiles.keys, reader: &self) else { return nil }
        let cert = path("cert_file", in: map, expected: "a file path")
        let key = path("key_file", in: map, expected: "a file path")
        var ca: String?? = .some(nil)
        if let node = map.value("ca_file"), ConfigValueKind(node) != .null {
            ca = path("ca_file", in: map, expected: "a file path").map { .some($0) }
        } else if caRequired {
            error(map.anchor, "\(label): ca_file is required: the authority the other nodes' certificates must be signed by")
            ca = nil
        }
        guard let cert, let key, let ca else { return nil }
        return TLSFiles(certFile: cert, keyFile: key, caFile: ca)
    }
}

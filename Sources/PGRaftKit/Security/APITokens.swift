import Crypto

/// The bearer tokens the HTTP API accepts (`api.token_file`): one per line, blank lines and lines
/// starting with `#` ignored, so a token can be rotated by adding the new one, moving the clients,
/// then removing the old. Only their SHA-256 digests are kept, compared in constant time; the
/// tokens themselves are never shown.
public struct APITokens: Sendable, CustomStringConvertible {
    /// The fewest characters a token may have.
    public static let minimumLength = 16
    /// The largest token file read.
    public static let maximumFileBytes = 65_536
    /// The setting that names the file, for messages.
    static let setting = "api.token_file"

    private let digests: [SHA256.Digest]
    /// The first token of the file, which `pgraftctl` sends (it reads the same file).
    public let first: String
    /// How many tokens the file holds.
    public var count: Int { digests.count }

    /// `N API tokens, not shown`.
    public var description: String { "\(count) API token\(count == 1 ? "" : "s"), not shown" }

    /// The tokens of `text` (the content of `path`, for messages).
    /// - Throws: `SecretFileError` naming the line of a malformed token, never the token.
    public init(text: String, path: String) throws(SecretFileError) {
        var tokens: [String] = []
        for (number, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingWhiteSpace
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.count >= Self.minimumLength else {
                throw SecretFileError(
                    setting: Self.setting, path: path,
                    "line \(number + 1): a token has \(line.count) characters, fewer than \(Self.minimumLength): make one with pgraftctl secret init FILE")
            }
            guard line.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                throw SecretFileError(
                    setting: Self.setting, path: path, "line \(number + 1): a token is printable ASCII without spaces, as an Authorization header carries it")
            }
            tokens.append(String(line))
        }
        guard let first = tokens.first else {
            throw SecretFileError(setting: Self.setting, path: path, "it holds no token (one per line; # starts a comment)")
        }
        self.first = first
        digests = tokens.map { SHA256.hash(data: Array($0.utf8)) }
    }

    /// The tokens of the owner-only file at `path` (`SecretFile`).
    public static func load(path: String) throws(SecretFileError) -> APITokens {
        let bytes = try SecretFile.read(path: path, setting: setting, maxBytes: maximumFileBytes)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SecretFileError(setting: setting, path: path, "it is not UTF-8 text")
        }
        return try APITokens(text: text, path: path)
    }

    /// Whether `token` is one of the file's; every digest is compared, each in constant time.
    public func accepts(_ token: String) -> Bool {
        let digest = SHA256.hash(data: Array(token.utf8))
        return digests.reduce(false) { found, known in (known == digest) || found }
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns.
    fileprivate var trimmingWhiteSpace: Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        var start = startIndex
        var end = endIndex
        while start < end, blank(self[start]) { start = index(after: start) }
        while end > start, blank(self[index(before: end)]) { end = index(before: end) }
        return self[start..<end]
    }
}

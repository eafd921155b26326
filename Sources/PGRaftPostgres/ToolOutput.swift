import Foundation

/// What a PostgreSQL tool printed and how it ended.
public struct ToolOutput: Sendable, Equatable {
    /// The exit status (128 + the signal for a killed tool).
    public var status: Int32
    /// Its standard output.
    public var stdout: String
    /// Its standard error.
    public var stderr: String

    /// An output with these values.
    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    /// The last `count` non-empty lines of standard error, joined with " | ": what an error shows.
    public func stderrTail(_ count: Int = 5) -> String { Self.lastLines(of: stderr, count) }

    /// The last `count` non-empty lines of `text`, trimmed and joined with " | ".
    static func lastLines(of text: String, _ count: Int) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.suffix(count).joined(separator: " | ")
    }
}

/// One problem found in a configuration file, with the position it refers to.
///
/// Positions are what an operator needs to fix the file without guessing: every error
/// found while reading the YAML names the line and column of the offending key or value.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the error is about, as the caller named it.
    public var file: String
    /// The 1-based line, or 0 when the error has no position (for example an unreadable file).
    public var line: Int
    /// The 1-based column in Unicode scalars, or 0 when the error has no position.
    public var column: Int
    /// What is wrong and what was expected instead.
    public var message: String

    /// An error at `line`:`column` of `file` (pass 0 and 0 for an error without a position).
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// Whether the error points at a line and column of the file.
    public var hasPosition: Bool { line > 0 }

    /// `"<file>:<line>:<column>: <message>"`, or `"<file>: <message>"` without a position:
    /// the form compilers use, so editors and terminals can jump to the spot.
    public var description: String {
        hasPosition ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}

/// Everything wrong with a configuration file: all errors found, not just the first.
///
/// Collecting every error lets an operator fix a file in one pass instead of one error per try.
public struct ConfigLoadError: Error, Sendable, CustomStringConvertible {
    /// The errors, sorted by position (errors without a position first).
    public var errors: [ConfigError]

    /// A load error made of `errors`, which it sorts by position.
    public init(errors: [ConfigError]) {
        self.errors = errors.enumerated().sorted { lhs, rhs in
            let left = (lhs.element.line, lhs.element.column, lhs.offset)
            let right = (rhs.element.line, rhs.element.column, rhs.offset)
            return left < right
        }.map(\.element)
    }

    /// One error per line, in position order.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}

import Foundation

/// An error for the operator: printed as "Error: message" by the command line, exit status 1.
public struct CLIError: Error, CustomStringConvertible, LocalizedError {
    /// The message.
    public let description: String

    /// An error saying `message`.
    public init(_ message: String) {
        description = message
    }

    /// The message, for `LocalizedError`.
    public var errorDescription: String? { description }
}

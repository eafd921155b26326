import Foundation

/// Why a PostgreSQL operation failed, with what a reader needs to act on it: the YAML setting at
/// fault when there is one, the tool and its arguments when one failed.
///
/// - Important: No password appears in an error: the library never puts one in a process argument
///   or a connection string, and ``description`` is scrubbed of the spec's passwords as a last guard.
public struct PostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Code: Sendable, Equatable {
        /// The environment does not fit a setting (a missing binary, a directory owned by another
        /// user, a port in use): ``PostgresError/setting`` names it.
        case environment
        /// A PostgreSQL tool exited with a failure status or was killed.
        case toolFailed
        /// A PostgreSQL tool did not finish in time and was killed.
        case toolTimedOut
        /// The server could not be reached over its socket.
        case connection
        /// A query failed or was not answered in time.
        case query
        /// The server or the data directory is not in the state the operation needs.
        case state
    }

    /// The kind of failure.
    public var code: Code
    /// The YAML setting at fault (e.g. `postgres.bin_dir`), nil when none is.
    public var setting: String?
    /// What happened, in words.
    public var message: String

    /// An error of `code` about `setting`.
    public init(_ code: Code, setting: String? = nil, _ message: String) {
        self.code = code
        self.setting = setting
        self.message = message
    }

    /// `setting: message`, or the message alone.
    public var description: String {
        setting.map { "\($0): \(message)" } ?? message
    }

    /// This error with every occurrence of `secrets` replaced by `***`.
    func scrubbed(of secrets: [String]) -> PostgresError {
        var copy = self
        for secret in secrets where !secret.isEmpty {
            copy.message = copy.message.replacingOccurrences(of: secret, with: "***")
        }
        return copy
    }
}

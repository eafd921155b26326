#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A failed system call, with what pgraft was doing when it failed.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was being attempted, e.g. "bind /run/pgraft/pgraftd.sock".
    public var operation: String
    /// The errno value.
    public var code: Int32

    /// Captures `errno` for `operation`.
    public init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    /// "operation: strerror (errno N)".
    public var description: String {
        "\(operation): \(String(cString: strerror(code))) (errno \(code))"
    }
}

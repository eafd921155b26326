/// Size rotation of each component's log file under `log_dir` (the YAML's `log:` section).
public struct LogSettings: Sendable, Equatable {
    /// A log file is rotated when it would grow past this many bytes (`max_bytes`, ≥ 4096).
    public var maxBytes: Int
    /// How many rotated files are kept besides the current one (`keep`, 1–100).
    public var keep: Int

    /// The defaults: 10 MiB files, 5 kept.
    public static let defaults = LogSettings(maxBytes: 10_485_760, keep: 5)

    /// Settings with explicit values.
    public init(maxBytes: Int, keep: Int) {
        self.maxBytes = maxBytes
        self.keep = keep
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Logging
import Synchronization

/// swift-log handler writing one line per record to standard error:
/// `2026-11-27T05:40:00.123Z INFO  consensus: message key=value`.
///
/// Each line goes out in one write(2), so lines from threads never interleave. Under the
/// supervisor, standard error is a pipe into `<log_dir>/<component>.log`.
public struct PGRaftLogHandler: LogHandler {
    /// Where a line goes in addition to standard error (the supervisor's own log file).
    public typealias Sink = @Sendable ([UInt8]) -> Void

    /// The process's name in every line.
    public let label: String
    /// Metadata attached to every line.
    public var metadata: Logger.Metadata = [:]
    /// Records below this level are dropped.
    public var logLevel: Logger.Level
    private let sink: Sink?

    /// A handler for `label` at `level`, optionally copying lines to `sink`.
    public init(label: String, level: Logger.Level = .info, sink: Sink? = nil) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    /// Installs this handler as the process-wide logging backend and returns a logger for `label`.
    public static func bootstrap(label: String, debug: Bool, sink: Sink? = nil) -> Logger {
        LoggingSystem.bootstrap { name in PGRaftLogHandler(label: name, level: debug ? .debug : .info, sink: sink) }
        return Logger(label: label)
    }

    /// Metadata by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats and writes one record.
    public func log(event: LogEvent) {
        var line = Self.timestamp()
        line += " "
        line += Self.levelName(event.level)
        line += " "
        line += label
        line += ": "
        line += "\(event.message)"
        let merged = event.metadata.map { metadata.merging($0) { $1 } } ?? metadata
        for key in merged.keys.sorted() {
            line += " \(key)=\(merged[key]!)"
        }
        line += "\n"
        let bytes = Array(line.utf8)
        bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
        sink?(bytes)
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: return "TRACE"
        case .debug: return "DEBUG"
        case .info: return "INFO "
        case .notice: return "NOTE "
        case .warning: return "WARN "
        case .error: return "ERROR"
        case .critical: return "CRIT "
        }
    }

    /// UTC time with milliseconds, ISO 8601.
    public static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + "\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }
}

import Foundation

/// Lets the first occurrence of an event through, then holds back repeats of the same event for a
/// quiet period and counts them, so that something retried every second (a refused peer, a
/// failing dial) does not fill a log with the same line.
public final class RepeatFilter: @unchecked Sendable {
    private let quietMs: Int64
    private let lock = NSLock()
    private var seen: [String: (passedAtMs: Int64, heldBack: Int)] = [:]

    /// A filter holding back repeats for `quietMs` after an event of the same key got through.
    public init(quietMs: Int64) {
        self.quietMs = quietMs
    }

    /// Whether event `key` at `nowMs` (monotonic) should be reported: nil when it is held back,
    /// otherwise how many repeats were held back since it last got through.
    public func pass(_ key: String, nowMs: Int64) -> Int? {
        lock.withLock {
            if let entry = seen[key], nowMs - entry.passedAtMs < quietMs {
                seen[key] = (entry.passedAtMs, entry.heldBack + 1)
                return nil
            }
            let heldBack = seen[key]?.heldBack ?? 0
            seen[key] = (nowMs, 0)
            if seen.count > Self.maxKeys {
                seen = seen.filter { nowMs - $0.value.passedAtMs < quietMs }
                // Still too many distinct events: forget them all rather than grow without bound.
                if seen.count > Self.maxKeys { seen = [key: (nowMs, 0)] }
            }
            return heldBack
        }
    }

    /// Keys remembered before old ones are forgotten.
    static let maxKeys = 1024
}

/// A component's life-cycle state as the supervisor publishes it in the component's slot.
public enum ComponentState: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// Not started (or not yet due).
    case idle = 0
    /// Spawned, not yet ready.
    case starting = 1
    /// Ready (its ready pid matches its pid) and heartbeating.
    case running = 2
    /// Asked to stop.
    case stopping = 3
    /// Ended and not to be restarted.
    case stopped = 4
    /// Ended abnormally and given up on.
    case failed = 5
    /// Waiting out a restart delay.
    case backoff = 6
    /// Left out by the configuration (`enabled: false`).
    case disabled = 7

    /// The upper-case name `pgraftctl status` shows, e.g. "RUNNING".
    public var displayName: String {
        switch self {
        case .idle: return "IDLE"
        case .starting: return "STARTING"
        case .running: return "RUNNING"
        case .stopping: return "STOPPING"
        case .stopped: return "STOPPED"
        case .failed: return "FAILED"
        case .backoff: return "BACKOFF"
        case .disabled: return "DISABLED"
        }
    }

    /// Same as `displayName`.
    public var description: String { displayName }
}

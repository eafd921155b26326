import PGRaftKit

/// How a component's process ended, as far as the restart policy cares.
public enum ExitKind: Sendable, Equatable {
    /// Exit code 0 on its own initiative.
    case clean
    /// Any other exit, a signal, a failed spawn, a start timeout or a watchdog kill.
    case failure
    /// Exit code `ComponentRuntime.permanentFailure`: the component says a restart cannot help.
    case permanent
}

/// What the supervisor does after a component's process ended.
public enum RestartDecision: Sendable, Equatable {
    /// Start it again after `delayMs` milliseconds (0: at once).
    case restart(delayMs: Int64)
    /// Leave it stopped: its restart type says so.
    case leaveStopped
    /// Leave it failed for the operator: it reported damage a restart cannot repair.
    case leaveFailed
    /// Too many restarts in the window: stop the whole node; the string says why.
    case giveUp(String)
}

/// The restart policy as pure logic over a caller-supplied monotonic time in milliseconds:
/// restart types, exponential backoff per component and a node-wide sliding-window intensity limit.
///
/// Like an OTP supervisor: more than `intensity` restarts within `periodMs` means something is
/// wrong that restarting will not fix, so the node stops and lets the service manager decide.
public struct RestartTracker: Sendable {
    /// Restarts allowed within the window.
    public let intensity: Int
    /// The window's length.
    public let periodMs: Int64
    /// The delay before the second consecutive restart; it doubles after each further one.
    public let backoffInitialMs: Int64
    /// The longest delay.
    public let backoffMaxMs: Int64
    /// A process that ran this long counts as healthy: its next restart is immediate again.
    public let backoffResetMs: Int64

    private var restartTimes: [Int64] = []
    private var consecutive: [String: Int] = [:]

    /// A tracker with the YAML's `supervisor` settings.
    public init(settings: SupervisorSettings) {
        self.init(
            intensity: settings.restartIntensity, periodMs: Int64(settings.restartPeriodS) * 1000,
            backoffInitialMs: Int64(settings.backoffInitialMs), backoffMaxMs: Int64(settings.backoffMaxMs),
            backoffResetMs: Int64(settings.backoffResetMs))
    }

    /// A tracker with explicit limits.
    public init(intensity: Int, periodMs: Int64, backoffInitialMs: Int64, backoffMaxMs: Int64, backoffResetMs: Int64) {
        self.intensity = intensity
        self.periodMs = periodMs
        self.backoffInitialMs = backoffInitialMs
        self.backoffMaxMs = backoffMaxMs
        self.backoffResetMs = backoffResetMs
    }

    /// Restarts counted in the window ending at `now`.
    public func restartsInWindow(now: Int64) -> Int {
        restartTimes.filter { $0 > now - periodMs }.count
    }

    /// Decides what follows the end of `component`'s process, which ran `ranForMs` and ended as `exit`,
    /// and records the restart if there is one.
    public mutating func decide(
        component: String, restart: RestartType, exit: ExitKind, ranForMs: Int64, now: Int64
    ) -> RestartDecision {
        switch (restart, exit) {
        case (_, .permanent):
            return .leaveFailed
        case (.never, _), (.onFailure, .clean):
            return .leaveStopped
        default:
            break
        }
        restartTimes.removeAll { $0 <= now - periodMs }
        if restartTimes.count >= intensity {
            return .giveUp(
                "\(restartTimes.count + 1) restarts within \(periodMs / 1000) s exceed restart_intensity \(intensity)"
                    + " (last: \(component))")
        }
        restartTimes.append(now)
        let previous = ranForMs >= backoffResetMs ? 0 : consecutive[component, default: 0]
        consecutive[component] = previous + 1
        return .restart(delayMs: delay(afterConsecutive: previous + 1))
    }

    /// Forgets `component`'s backoff history (an operator restarted it on purpose).
    public mutating func reset(component: String) {
        consecutive[component] = nil
    }

    private func delay(afterConsecutive count: Int) -> Int64 {
        guard count > 1 else { return 0 }
        var value = backoffInitialMs
        for _ in 2..<count {
            value *= 2
            if value >= backoffMaxMs { return backoffMaxMs }
        }
        return min(value, backoffMaxMs)
    }
}

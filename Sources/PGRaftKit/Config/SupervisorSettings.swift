/// The supervisor's restart policy and timeouts (the YAML's `supervisor:` section).
///
/// More than `restartIntensity` restarts within `restartPeriodS` seconds stop the node; a component
/// that ran `backoffResetMs` counts as healthy again and restarts without delay.
public struct SupervisorSettings: Sendable, Equatable {
    /// How long a component may take to become ready, in ms (`start_timeout_ms`, default 10000).
    public var startTimeoutMs: Int
    /// Default time between SIGTERM and SIGKILL, in ms (`stop_timeout_ms`, default 5000).
    public var stopTimeoutMs: Int
    /// Missed heartbeat periods after which a component counts as hung (`heartbeat_misses`, 1–1000, default 5).
    public var heartbeatMisses: Int
    /// Restarts allowed within the window (`restart_intensity`, ≥ 1, default 10).
    public var restartIntensity: Int
    /// The window's length in seconds (`restart_period_s`, ≥ 1, default 60).
    public var restartPeriodS: Int
    /// Delay before the second consecutive restart, in ms; doubles after each further one (`backoff_initial_ms`, default 100).
    public var backoffInitialMs: Int
    /// Longest restart delay, in ms (`backoff_max_ms`, default 10000, ≥ the initial delay).
    public var backoffMaxMs: Int
    /// Run time after which a component's backoff starts over, in ms (`backoff_reset_ms`, default 10000).
    public var backoffResetMs: Int

    /// The defaults listed above.
    public static let defaults = SupervisorSettings(
        startTimeoutMs: 10_000, stopTimeoutMs: 5_000, heartbeatMisses: 5, restartIntensity: 10,
        restartPeriodS: 60, backoffInitialMs: 100, backoffMaxMs: 10_000, backoffResetMs: 10_000)

    /// Settings with explicit values.
    public init(
        startTimeoutMs: Int, stopTimeoutMs: Int, heartbeatMisses: Int, restartIntensity: Int,
        restartPeriodS: Int, backoffInitialMs: Int, backoffMaxMs: Int, backoffResetMs: Int
    ) {
        self.startTimeoutMs = startTimeoutMs
        self.stopTimeoutMs = stopTimeoutMs
        self.heartbeatMisses = heartbeatMisses
        self.restartIntensity = restartIntensity
        self.restartPeriodS = restartPeriodS
        self.backoffInitialMs = backoffInitialMs
        self.backoffMaxMs = backoffMaxMs
        self.backoffResetMs = backoffResetMs
    }
}

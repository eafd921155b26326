/// One component the supervisor runs: a built-in (`storage`, `consensus`, `transport`, `bridge`, `api`)
/// or an operator's plugin, with how to spawn, watch and restart it (an entry under `components:`).
public struct ComponentSpec: Sendable, Equatable {
    /// The component's name: `[a-z0-9_-]{1,31}`; also its log file's name and its slot's label.
    public var name: String
    /// Whether the supervisor runs it (`enabled`, default true).
    public var enabled: Bool
    /// The executable, absolute or a bare name looked up in `PATH` at spawn; nil for a built-in
    /// found next to `pgraftd` as `pgraft-<name>`.
    public var command: String?
    /// Arguments passed to the executable (`args`, default none).
    public var args: [String]
    /// Extra environment variables for the process (`env`, default none).
    public var env: [String: String]
    /// When it is restarted after its process ended (`restart`, default `always`).
    public var restart: RestartType
    /// How it signals that it runs (`readiness`: `segment` for built-ins, `started` for plugins).
    public var readiness: Readiness
    /// Whether a stopped heartbeat counts as a hang and gets it restarted (`watchdog`: true for
    /// built-ins, false for plugins).
    public var watchdog: Bool
    /// Time between SIGTERM and SIGKILL when stopping it, in ms (`stop_timeout_ms`, default
    /// `supervisor.stop_timeout_ms`).
    public var stopTimeoutMs: Int
    /// Whether it is one of the five built-in components.
    public var isBuiltin: Bool

    /// The built-in components' names, in start order.
    public static let builtinNames = ["storage", "consensus", "transport", "bridge", "api"]

    /// A component with explicit values.
    public init(
        name: String, enabled: Bool, command: String?, args: [String], env: [String: String],
        restart: RestartType, readiness: Readiness, watchdog: Bool, stopTimeoutMs: Int, isBuiltin: Bool
    ) {
        self.name = name
        self.enabled = enabled
        self.command = command
        self.args = args
        self.env = env
        self.restart = restart
        self.readiness = readiness
        self.watchdog = watchdog
        self.stopTimeoutMs = stopTimeoutMs
        self.isBuiltin = isBuiltin
    }
}

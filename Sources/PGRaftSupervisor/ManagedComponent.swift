import PGRaftKit

/// The supervisor's record of one component: its spec, where it is in its life cycle, its process.
final class ManagedComponent {
    /// Where the component is; every change goes through `Supervisor.transition`, which logs it.
    enum Phase: Equatable {
        /// Not started yet: waits for the components before it to be ready.
        case waiting
        /// Spawned, not yet ready.
        case starting(sinceMs: Int64)
        /// Ready and heartbeating.
        case running(sinceMs: Int64)
        /// Asked to stop; killed at `deadlineMs` if still alive.
        case stopping(deadlineMs: Int64, killed: Bool)
        /// Waiting out a restart delay.
        case backoff(untilMs: Int64)
        /// Ended and not to be restarted (restart type, or the node is stopping).
        case stopped
        /// Ended with damage a restart cannot repair; restarted only by the operator.
        case failed
        /// Left out by the configuration.
        case disabled

        /// The name `pgraftctl status` shows.
        var displayName: String {
            switch self {
            case .waiting: return "IDLE"
            case .starting: return "STARTING"
            case .running: return "RUNNING"
            case .stopping: return "STOPPING"
            case .backoff: return "BACKOFF"
            case .stopped: return "STOPPED"
            case .failed: return "FAILED"
            case .disabled: return "DISABLED"
            }
        }

        /// The state published in the segment.
        var segmentState: ComponentState {
            switch self {
            case .waiting: return .idle
            case .starting: return .starting
            case .running: return .running
            case .stopping: return .stopping
            case .backoff: return .backoff
            case .stopped: return .stopped
            case .failed: return .failed
            case .disabled: return .disabled
            }
        }
    }

    /// Why the supervisor itself ends a process; decides what happens once it has exited.
    enum StopIntent: Equatable {
        /// Start it again at once, outside the restart policy (operator restart, changed settings).
        case restart
        /// It failed (hang, start timeout): the restart policy applies as for a crash.
        case failure(String)
        /// Leave it stopped (node shutdown, component disabled or removed).
        case finish
    }

    /// The configuration entry in force.
    var spec: ComponentSpec
    /// The component's slot in the segment.
    let slot: Int
    /// The life-cycle phase.
    var phase: Phase = .waiting
    /// The running process, if any.
    var process: ChildProcess?
    /// Set when the supervisor asked the process to end.
    var intent: StopIntent?
    /// Restarts since the supervisor started.
    var restarts = 0
    /// How the previous process ended.
    var lastExit: String?
    /// Pid of the current or most recent process (kept until its exit is handled).
    var lastPid: Int32 = 0
    /// Monotonic time of the last spawn.
    var spawnedAtMs: Int64 = 0
    /// Whether it was ever ready (later components wait for that).
    var everRunning = false
    /// Whether a process was ever spawned (the next spawn then counts as a restart).
    var everSpawned = false
    /// Last heartbeat value seen, and when it last changed.
    var lastBeat: UInt64 = 0
    var lastBeatChangeMs: Int64 = 0
    /// Its log file.
    var log: RotatingLogFile
    /// Removed from the configuration: forgotten once its process has exited.
    var removed = false

    init(spec: ComponentSpec, slot: Int, log: RotatingLogFile) {
        self.spec = spec
        self.slot = slot
        self.log = log
        if !spec.enabled { phase = .disabled }
    }

    /// The process id, if a process runs.
    var pid: Int32? { process?.pid }
}

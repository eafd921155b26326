import CShims
import Foundation
import Logging
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Why the supervisor could not start the node.
public struct SupervisorStartError: Error, CustomStringConvertible {
    /// What failed, for the operator.
    public var description: String
}

/// `pgraftd`: creates the node's segment, run directory and control socket, starts the components in
/// order, restarts what fails under the YAML's policy, and stops everything in reverse order.
///
/// One thread, one loop (like PostgreSQL's postmaster): signals arrive through a signalfd, child exits
/// are reaped with `waitpid(WNOHANG)`, output pipes and the control socket are non-blocking, so the
/// supervisor never blocks on anything a component does.
public final class Supervisor {
    /// Exit code after a clean stop.
    public static let exitClean: Int32 = 0
    /// Exit code when the node could not start (configuration, run directory, segment).
    public static let exitStartFailure: Int32 = 1
    /// Exit code when the restart intensity was exceeded.
    public static let exitIntensityExceeded: Int32 = 2

    let configPath: String
    var config: NodeConfig
    let executableDirectory: String
    let logger: Logger
    let signals: SignalSource
    var components: [ManagedComponent] = []
    var tracker: RestartTracker
    var segment: SharedSegment?
    var control: ControlServer?
    var runDirLock: PIDLockFile?
    var shuttingDown = false
    var exitCode = Supervisor.exitClean
    let startedAtMs = pgr_monotonic_ms()
    /// How long the loop sleeps while a component is in transition (readiness is polled in the segment).
    let busyPollMs: Int32 = 10
    /// How long the loop sleeps when every component is settled: the watchdog's resolution. Exits,
    /// signals and control requests wake the loop at once whatever the timeout.
    let idlePollMs: Int32 = 100

    /// Path of the validated configuration handed to components: what the supervisor accepted,
    /// not whatever the operator's file says at the moment a component restarts.
    var effectiveConfigPath: String { config.runDir + "/effective.yaml" }

    /// A supervisor for the node described by `config` (read from `configPath`).
    ///
    /// - Parameters:
    ///   - executableDirectory: where the built-in components `pgraft-<name>` are.
    ///   - signals: created first thing in `main`, before any thread exists.
    public init(configPath: String, config: NodeConfig, executableDirectory: String, logger: Logger, signals: SignalSource) {
        self.configPath = configPath
        self.config = config
        self.executableDirectory = executableDirectory
        self.logger = logger
        self.signals = signals
        self.tracker = RestartTracker(settings: config.supervisor)
    }

    /// Runs the node until it is stopped; returns the process exit code.
    public func run() -> Int32 {
        do {
            try setUp()
        } catch {
            logger.critical("cannot start the node: \(error)")
            tearDown()
            return Supervisor.exitStartFailure
        }
        logger.info(
            "node started",
            metadata: [
                "node_id": "\(config.nodeId)", "cluster": "\(config.clusterName)", "pid": "\(getpid())",
                "segment": "\(config.segmentName)",
            ])
        while true {
            waitForActivity()
            let now = pgr_monotonic_ms()
            handleSignals()
            reapChildren(now: now)
            drainOutput()
            control?.service(nowMs: now) { handle($0) }
            advance(now: pgr_monotonic_ms())
            if shuttingDown && components.allSatisfy({ $0.process == nil }) { break }
        }
        tearDown()
        logger.info("node stopped", metadata: ["exit_code": "\(exitCode)"])
        return exitCode
    }

    // MARK: - Set-up and tear-down

    private func setUp() throws {
        let runDirExisted = FileManager.default.fileExists(atPath: config.runDir)
        for directory in [config.runDir, config.logDir] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // A run directory pgraftd creates is private to it; an existing one is the operator's to set.
        if !runDirExisted { chmod(config.runDir, 0o700) }
        try lockRunDirectory()
        try writeEffectiveConfig(config)
        segment = try SharedSegment.create(
            name: config.segmentName, layout: .standard,
            node: NodeInfo(
                nodeId: UInt64(config.nodeId), clusterName: config.clusterName, listenAddress: config.listenAddress,
                listenPort: UInt16(config.listenPort)))
        for spec in config.components {
            try addComponent(spec)
        }
        control = try ControlServer(path: config.controlSocketPath)
    }

    private func lockRunDirectory() throws {
        do {
            runDirLock = try PIDLockFile(path: config.runDir + "/pgraftd.lock")
        } catch .held(_, let holder) {
            throw SupervisorStartError(
                description: "run_dir \(config.runDir) is in use by another pgraftd (pid \(holder)); "
                    + "each node needs its own run_dir")
        }
    }

    func writeEffectiveConfig(_ config: NodeConfig) throws {
        let path = config.runDir + "/effective.yaml"
        try config.effectiveYAML().write(toFile: path, atomically: true, encoding: .utf8)
    }

    @discardableResult
    func addComponent(_ spec: ComponentSpec) throws -> ManagedComponent {
        guard let segment else { throw SupervisorStartError(description: "no segment") }
        let used = Set(components.map(\.slot))
        guard let slot = (0..<segment.componentCapacity).first(where: { !used.contains($0) }) else {
            throw SupervisorStartError(
                description: "too many components: the segment has \(segment.componentCapacity) slots")
        }
        let componentSlot = segment.componentSlot(at: slot)
        componentSlot.name = spec.name
        componentSlot.state = spec.enabled ? .idle : .disabled
        componentSlot.pid = 0
        componentSlot.restarts = 0
        componentSlot.startedAtMs = 0
        componentSlot.lastExit = .none
        let log = try RotatingLogFile(
            path: config.logFilePath(component: spec.name), maxBytes: config.log.maxBytes, keep: config.log.keep)
        let component = ManagedComponent(spec: spec, slot: slot, log: log)
        components.append(component)
        return component
    }

    private func tearDown() {
        for component in components {
            if let pid = component.pid { signalGroup(pid, SIGKILL) }
        }
        control?.shutdown()
        control = nil
        _ = segment?.unlink()
        segment = nil
        // Without the run directory's lock these files belong to the pgraftd that holds it.
        guard let lock = runDirLock else { return }
        unlink(config.consensusSocketPath)
        unlink(effectiveConfigPath)
        lock.release(removeFile: true)
        runDirLock = nil
    }

    // MARK: - The loop

    private func waitForActivity() {
        var fds = [pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)]
        for fd in control?.descriptors ?? [] { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        for component in components {
            if let fd = component.process?.outputFD, fd >= 0 {
                fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
            }
        }
        let settled = !shuttingDown && components.allSatisfy { component in
            switch component.phase {
            case .running, .stopped, .failed, .disabled: return true
            default: return false
            }
        }
        _ = poll(&fds, nfds_t(fds.count), settled ? min(idlePollMs, Int32(config.healthPeriodMs)) : busyPollMs)
    }

    private func handleSignals() {
        for signal in signals.pending() {
            switch signal {
            case SIGTERM, SIGINT:
                beginShutdown(reason: "signal \(signal == SIGTERM ? "SIGTERM" : "SIGINT")", code: Supervisor.exitClean)
            case SIGHUP:
                let result = reload()
                if !result.applied { logger.error("reload refused; the running configuration is kept") }
            default:
                break
            }
        }
    }

    private func drainOutput() {
        for component in components where component.process != nil {
            component.process!.drain { component.log.append($0) }
        }
    }

    private func reapChildren(now: Int64) {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            guard let component = components.first(where: { $0.pid == pid }) else { continue }
            let exit = ExitStatus(waitStatus: status)
            component.process!.drain(final: true) { component.log.append($0) }
            component.process = nil
            // Whatever the component started is ended with it: nothing outlives its process group.
            kill(-pid, SIGKILL)
            processExited(component, exit: exit, now: now)
        }
    }

    /// Moves every component one step towards where it should be.
    private func advance(now: Int64) {
        if shuttingDown {
            advanceShutdown(now: now)
            return
        }
        for (index, component) in components.enumerated() {
            switch component.phase {
            case .waiting:
                if predecessorsReady(index) { spawn(component, now: now) }
            case .starting(let since):
                if isReady(component) {
                    becomeRunning(component, now: now)
                } else if now - since > Int64(config.supervisor.startTimeoutMs) {
                    terminate(
                        component, signal: SIGKILL,
                        intent: .failure("not ready within start_timeout_ms \(config.supervisor.startTimeoutMs)"),
                        now: now)
                }
            case .running:
                checkHeartbeat(component, now: now)
            case .stopping:
                enforceStopDeadline(component, now: now)
            case .backoff(let until):
                if now >= until { spawn(component, now: now) }
            case .stopped, .failed, .disabled:
                break
            }
        }
        for component in components where component.removed && component.process == nil {
            let slot = segment!.componentSlot(at: component.slot)
            slot.name = ""
            slot.state = .idle
        }
        components.removeAll { $0.removed && $0.process == nil }
    }

    private func advanceShutdown(now: Int64) {
        for component in components where component.process == nil && component.phase != .disabled {
            if component.phase != .stopped { transition(component, to: .stopped) }
        }
        guard let last = components.last(where: { $0.process != nil }) else { return }
        if case .stopping = last.phase {
            enforceStopDeadline(last, now: now)
        } else {
            terminate(last, signal: SIGTERM, intent: .finish, now: now)
        }
    }

    /// Kills a stopping component whose `stop_timeout_ms` has run out.
    private func enforceStopDeadline(_ component: ManagedComponent, now: Int64) {
        guard case .stopping(let deadline, let killed) = component.phase, !killed, now >= deadline,
            let pid = component.pid
        else { return }
        logger.warning("\(component.spec.name) (pid \(pid)) did not stop in time: SIGKILL")
        signalGroup(pid, SIGKILL)
        component.phase = .stopping(deadlineMs: deadline, killed: true)
    }

    func beginShutdown(reason: String, code: Int32) {
        guard !shuttingDown else { return }
        logger.info("stopping the node (\(reason)): components stop in reverse order")
        shuttingDown = true
        exitCode = code
    }

    private func predecessorsReady(_ index: Int) -> Bool {
        components[..<index].allSatisfy { component in
            !component.spec.enabled || component.removed || component.everRunning || component.phase == .stopped
        }
    }

    private func isReady(_ component: ManagedComponent) -> Bool {
        guard let pid = component.pid, let segment else { return false }
        if component.spec.readiness == .started { return true }
        return segment.componentSlot(at: component.slot).readyPid == pid
    }

    // MARK: - Process life cycle

    func spawn(_ component: ManagedComponent, now: Int64) {
        let spec = component.spec
        if component.everSpawned { component.restarts += 1 }
        component.everSpawned = true
        let slot = segment!.componentSlot(at: component.slot)
        slot.restarts = UInt32(component.restarts)
        let path = executablePath(for: spec)
        let environment = ComponentEnvironment(
            component: spec.name, configPath: effectiveConfigPath, segmentName: config.segmentName,
            slot: component.slot, supervisorPid: getpid()
        ).variables(runDir: config.runDir, base: ProcessInfo.processInfo.environment.merging(spec.env) { $1 })
        let shim = executableDirectory + "/pgraft-exec"
        let useShim = access(shim, X_OK) == 0
        do {
            component.process = try ChildProcess.spawn(
                path: useShim ? shim : path, arguments: useShim ? [path] + spec.args : spec.args, environment: environment)
        } catch {
            logger.error("cannot start \(spec.name): \(error)")
            component.spawnedAtMs = now
            component.lastPid = 0
            processExited(component, exit: .exited(127), now: now)
            return
        }
        component.spawnedAtMs = now
        component.lastPid = component.process!.pid
        slot.pid = component.process!.pid
        slot.startedAtMs = UInt64(pgr_wall_ms())
        logger.info("started \(spec.name)", metadata: ["pid": "\(component.process!.pid)", "path": "\(path)"])
        transition(component, to: .starting(sinceMs: now))
        if isReady(component) { becomeRunning(component, now: now) }
    }

    private func becomeRunning(_ component: ManagedComponent, now: Int64) {
        component.everRunning = true
        component.lastBeat = segment!.componentSlot(at: component.slot).heartbeat
        component.lastBeatChangeMs = now
        logger.info("\(component.spec.name) is ready", metadata: ["after_ms": "\(now - component.spawnedAtMs)"])
        transition(component, to: .running(sinceMs: now))
    }

    private func checkHeartbeat(_ component: ManagedComponent, now: Int64) {
        guard component.spec.watchdog, let segment else { return }
        let beat = segment.componentSlot(at: component.slot).heartbeat
        if beat != component.lastBeat {
            component.lastBeat = beat
            component.lastBeatChangeMs = now
            return
        }
        let limit = Int64(config.supervisor.heartbeatMisses * config.healthPeriodMs)
        if now - component.lastBeatChangeMs > limit {
            terminate(
                component, signal: SIGKILL,
                intent: .failure("no heartbeat for \(now - component.lastBeatChangeMs) ms (limit \(limit) ms): hung"),
                now: now)
        }
    }

    /// Signals a component's process and records why, so its exit is handled accordingly.
    func terminate(_ component: ManagedComponent, signal: Int32, intent: ManagedComponent.StopIntent, now: Int64) {
        guard let pid = component.pid else { return }
        if case .failure(let reason) = intent {
            logger.error("\(component.spec.name) (pid \(pid)): \(reason); killing it")
        }
        component.intent = intent
        signalGroup(pid, signal)
        if signal == SIGTERM { signalGroup(pid, SIGCONT) }
        transition(
            component, to: .stopping(deadlineMs: now + Int64(component.spec.stopTimeoutMs), killed: signal == SIGKILL))
    }

    private func processExited(_ component: ManagedComponent, exit: ExitStatus, now: Int64) {
        let ranFor = now - component.spawnedAtMs
        let intent = component.intent
        component.intent = nil
        component.lastExit = exit.description
        segment?.componentSlot(at: component.slot).lastExit = exit
        let ranText = String(format: "%.1f s", Double(ranFor) / 1000)
        // The component's own log says how its process ended, for whoever reads only that file.
        component.log.append(
            Array(
                ("\(PGRaftLogHandler.timestamp()) NOTE  pgraftd: "
                    + (component.lastPid > 0 ? "pid \(component.lastPid) ended: \(exit) after \(ranText)\n" : "could not be started\n"))
                    .utf8))
        if shuttingDown || intent == .finish {
            logger.info("\(component.spec.name) stopped: \(exit) after \(ranText)")
            transition(component, to: component.spec.enabled && !component.removed ? .stopped : .disabled)
            return
        }
        if intent == .restart {
            logger.info("\(component.spec.name) stopped for a restart: \(exit)")
            tracker.reset(component: component.spec.name)
            transition(component, to: .backoff(untilMs: now))
            return
        }
        let kind: ExitKind
        switch (intent, exit) {
        case (.failure, _): kind = .failure
        case (_, .exited(0)): kind = .clean
        case (_, .exited(ComponentRuntime.permanentFailure)): kind = .permanent
        default: kind = .failure
        }
        logger.warning("\(component.spec.name) exited: \(exit) after \(ranText)")
        let decision = tracker.decide(
            component: component.spec.name, restart: component.spec.restart, exit: kind, ranForMs: ranFor, now: now)
        switch decision {
        case .restart(let delay):
            if delay > 0 { logger.info("restarting \(component.spec.name) in \(delay) ms") }
            transition(component, to: .backoff(untilMs: now + delay))
        case .leaveStopped:
            logger.info("\(component.spec.name) stays stopped (restart: \(component.spec.restart.rawValue))")
            transition(component, to: .stopped)
        case .leaveFailed:
            let name = component.spec.name
            logger.critical(
                "\(name) reported damage a restart cannot repair; it stays FAILED and the components after it that have not started yet wait. See `pgraftctl logs \(name)`; once repaired, `pgraftctl restart \(name)`")
            transition(component, to: .failed)
        case .giveUp(let why):
            logger.critical("restart intensity exceeded: \(why); stopping the node")
            transition(component, to: .stopped)
            beginShutdown(reason: "restart intensity exceeded", code: Supervisor.exitIntensityExceeded)
        }
    }

    func transition(_ component: ManagedComponent, to phase: ManagedComponent.Phase) {
        let old = component.phase
        component.phase = phase
        segment?.componentSlot(at: component.slot).state = phase.segmentState
        if old.displayName != phase.displayName {
            logger.debug("\(component.spec.name): \(old.displayName) -> \(phase.displayName)")
        }
    }

    /// Signals a component's whole process group (each component leads its own), so that what a
    /// plugin started stops with it.
    func signalGroup(_ pid: Int32, _ signal: Int32) {
        if kill(-pid, signal) != 0 { kill(pid, signal) }
    }

    private func executablePath(for spec: ComponentSpec) -> String {
        guard let command = spec.command else { return executableDirectory + "/pgraft-" + spec.name }
        if command.contains("/") { return command }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(command)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return command
    }
}

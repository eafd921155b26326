import CShims
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension Supervisor {
    /// Answers one control request.
    func handle(_ request: ControlRequest) -> ControlResponse {
        switch request.command {
        case .status:
            return ControlResponse(ok: true, status: status())
        case .restart:
            return restart(named: request.component)
        case .stop:
            beginShutdown(reason: "pgraftctl stop", code: Supervisor.exitClean)
            return ControlResponse(ok: true)
        case .reload:
            let result = reload()
            return ControlResponse(ok: result.applied, error: result.applied ? nil : "reload refused", reload: result)
        case .logPath:
            guard let name = request.component else { return .failure("which component? \(knownNames())") }
            if name == "pgraftd" { return ControlResponse(ok: true, logPath: config.logFilePath(component: "pgraftd")) }
            guard components.contains(where: { $0.spec.name == name }) else { return unknown(name) }
            return ControlResponse(ok: true, logPath: config.logFilePath(component: name))
        case .config:
            return ControlResponse(ok: true, configYAML: config.effectiveYAML(), configPath: configPath)
        }
    }

    /// The node's status as `pgraftctl status` shows it.
    func status() -> NodeStatus {
        let now = pgr_monotonic_ms()
        let entries = components.filter { !$0.removed }.map { component -> ComponentStatus in
            let alive = component.pid != nil
            return ComponentStatus(
                name: component.spec.name, state: component.phase.displayName, pid: component.pid,
                restarts: component.restarts,
                uptimeSeconds: alive ? Double(now - component.spawnedAtMs) / 1000 : nil,
                lastExit: component.lastExit, logFile: config.logFilePath(component: component.spec.name))
        }
        return NodeStatus(
            nodeId: UInt64(config.nodeId), clusterName: config.clusterName, supervisorPid: getpid(),
            uptimeSeconds: Double(now - startedAtMs) / 1000, configPath: configPath, components: entries)
    }

    private func restart(named name: String?) -> ControlResponse {
        guard let name else { return .failure("which component? \(knownNames())") }
        guard let component = components.first(where: { $0.spec.name == name && !$0.removed }) else {
            return unknown(name)
        }
        guard component.spec.enabled else { return .failure("\(name) is disabled in the configuration") }
        guard !shuttingDown else { return .failure("the node is stopping") }
        let now = pgr_monotonic_ms()
        logger.info("restart of \(name) requested by pgraftctl")
        tracker.reset(component: name)
        switch component.phase {
        case .starting, .running:
            terminate(component, signal: SIGTERM, intent: .restart, now: now)
        case .stopping:
            component.intent = .restart
        case .backoff, .stopped, .failed:
            transition(component, to: .backoff(untilMs: now))
        case .waiting, .disabled:
            break
        }
        return ControlResponse(ok: true)
    }

    private func unknown(_ name: String) -> ControlResponse {
        .failure("unknown component '\(name)'; known: \(knownNames())")
    }

    private func knownNames() -> String {
        components.filter { !$0.removed }.map(\.spec.name).joined(separator: ", ")
    }
}

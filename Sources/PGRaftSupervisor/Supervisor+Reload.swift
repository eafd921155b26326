import CShims
import Foundation
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension Supervisor {
    /// Re-reads the YAML file: an invalid file, or one that changes the node's identity, is refused
    /// and the running configuration kept; a valid one restarts only the components whose settings changed.
    func reload() -> ReloadResult {
        logger.info("reloading \(configPath)")
        let new: NodeConfig
        do {
            new = try NodeConfig.load(path: configPath)
        } catch {
            let lines = error.errors.map(\.description)
            for line in lines { logger.error("reload: \(line)") }
            return ReloadResult(applied: false, errors: lines)
        }
        let plan = ReloadPlan.make(old: config, new: new)
        guard plan.refusals.isEmpty else {
            for line in plan.refusals { logger.error("reload: \(line)") }
            return ReloadResult(applied: false, errors: plan.refusals)
        }
        let newNames = Set(new.components.map(\.name))
        let slotsNeeded = components.filter { newNames.contains($0.spec.name) || $0.process != nil }.count
            + new.components.filter { spec in !components.contains { $0.spec.name == spec.name } }.count
        if let segment, slotsNeeded > segment.componentCapacity {
            let line = "\(slotsNeeded) components need more than the segment's \(segment.componentCapacity) slots"
            logger.error("reload: \(line)")
            return ReloadResult(applied: false, errors: [line])
        }
        let logChanged = new.log != config.log || new.logDir != config.logDir
        var reopened: [String: RotatingLogFile] = [:]
        if logChanged {
            do {
                try FileManager.default.createDirectory(atPath: new.logDir, withIntermediateDirectories: true)
                for spec in new.components {
                    reopened[spec.name] = try RotatingLogFile(
                        path: new.logFilePath(component: spec.name), maxBytes: new.log.maxBytes, keep: new.log.keep)
                }
            } catch {
                let line = "cannot open the log files in \(new.logDir): \(error)"
                logger.error("reload: \(line)")
                return ReloadResult(applied: false, errors: [line])
            }
        }
        do {
            try writeEffectiveConfig(new)
        } catch {
            logger.error("reload: cannot write \(effectiveConfigPath): \(error)")
            return ReloadResult(applied: false, errors: ["cannot write \(effectiveConfigPath): \(error)"])
        }
        let supervisorChanged = new.supervisor != config.supervisor
        config = new
        if supervisorChanged { tracker = RestartTracker(settings: new.supervisor) }
        apply(plan, new: new, reopenedLogs: reopened)
        logger.info(
            "reload applied",
            metadata: [
                "restarted": "\(plan.restart)", "started": "\(plan.start)", "stopped": "\(plan.stop)",
            ])
        return ReloadResult(applied: true, restarted: plan.restart, started: plan.start, stopped: plan.stop)
    }

    private func apply(_ plan: ReloadPlan, new: NodeConfig, reopenedLogs: [String: RotatingLogFile]) {
        let now = pgr_monotonic_ms()
        var ordered: [ManagedComponent] = []
        for spec in new.components {
            if let existing = components.first(where: { $0.spec.name == spec.name }) {
                existing.spec = spec
                existing.removed = false
                ordered.append(existing)
            } else if let added = try? addComponent(spec) {
                ordered.append(added)
            }
        }
        for component in components where !ordered.contains(where: { $0 === component }) {
            component.removed = true
            ordered.append(component)
        }
        components = ordered
        for component in components {
            if let log = reopenedLogs[component.spec.name] { component.log = log }
        }
        for name in plan.stop {
            guard let component = components.first(where: { $0.spec.name == name }) else { continue }
            if component.process != nil {
                terminate(component, signal: SIGTERM, intent: .finish, now: now)
            } else {
                transition(component, to: .disabled)
            }
        }
        for name in plan.restart {
            guard let component = components.first(where: { $0.spec.name == name }) else { continue }
            if component.process != nil {
                terminate(component, signal: SIGTERM, intent: .restart, now: now)
            } else if component.phase != .waiting {
                transition(component, to: .backoff(untilMs: now))
            }
        }
        for name in plan.start {
            guard let component = components.first(where: { $0.spec.name == name }) else { continue }
            if component.process == nil {
                transition(component, to: .waiting)
            } else {
                // Re-enabled while its old process is still stopping: start it again once that one is gone.
                component.intent = .restart
            }
        }
    }
}

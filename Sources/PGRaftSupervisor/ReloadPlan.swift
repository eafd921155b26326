import PGRaftKit

/// What a reload changes: worked out from the old and new configuration alone, so it can be tested
/// without processes.
public struct ReloadPlan: Sendable, Equatable {
    /// Why the new file cannot be taken without restarting pgraftd (identity keys changed); empty when it can.
    public var refusals: [String]
    /// Components whose settings changed: restarted with the new ones.
    public var restart: [String]
    /// Components newly enabled or added: started.
    public var start: [String]
    /// Components disabled or removed: stopped.
    public var stop: [String]

    /// True when the reload changes no process.
    public var isEmpty: Bool { restart.isEmpty && start.isEmpty && stop.isEmpty }

    /// The plan that takes a node running `old` to `new`.
    public static func make(old: NodeConfig, new: NodeConfig) -> ReloadPlan {
        let refusals = new.identityChanges(comparedTo: old).map {
            "\($0) cannot change on reload (restart pgraftd to change it)"
        }
        let oldEnabled = Set(old.enabledComponents.map(\.name))
        let newEnabled = Set(new.enabledComponents.map(\.name))
        let start = new.enabledComponents.map(\.name).filter { !oldEnabled.contains($0) }
        let stop = old.enabledComponents.map(\.name).filter { !newEnabled.contains($0) }
        let restart = new.enabledComponents.map(\.name).filter {
            oldEnabled.contains($0) && old.settingsFingerprint(for: $0) != new.settingsFingerprint(for: $0)
        }
        return ReloadPlan(refusals: refusals, restart: restart, start: start, stop: stop)
    }
}

/// The contract between the supervisor and a component process, passed in environment variables.
///
/// An operator's own plugin receives the same variables; one written against the segment
/// contract uses them to find its slot, others may ignore them.
public struct ComponentEnvironment: Sendable, Equatable {
    /// Variable naming the component (`storage`, `api`, …).
    public static let componentKey = "PGRAFT_COMPONENT"
    /// Variable holding the path of the effective configuration the supervisor validated.
    public static let configKey = "PGRAFT_CONFIG"
    /// Variable holding the shared-memory segment's name.
    public static let segmentKey = "PGRAFT_SEGMENT"
    /// Variable holding the component's slot index in the segment.
    public static let slotKey = "PGRAFT_SLOT"
    /// Variable holding the supervisor's pid, so a child can tell it was orphaned.
    public static let supervisorPidKey = "PGRAFT_SUPERVISOR_PID"
    /// Variable holding the run directory (sockets).
    public static let runDirKey = "PGRAFT_RUN_DIR"

    /// The component's name.
    public var component: String
    /// Path of the configuration file to read.
    public var configPath: String
    /// Segment name, or nil when run by hand without a supervisor.
    public var segmentName: String?
    /// Slot index in the segment.
    public var slot: Int?
    /// The supervisor's pid, or nil when run by hand.
    public var supervisorPid: Int32?

    /// An environment value set.
    public init(component: String, configPath: String, segmentName: String?, slot: Int?, supervisorPid: Int32?) {
        self.component = component
        self.configPath = configPath
        self.segmentName = segmentName
        self.slot = slot
        self.supervisorPid = supervisorPid
    }

    /// Reads the contract from `environment`; `arguments` may give `--config FILE` for a component run by hand.
    /// - Returns: nil with no configuration path anywhere.
    public static func from(environment: [String: String], arguments: [String], defaultComponent: String)
        -> ComponentEnvironment?
    {
        var configPath = environment[configKey]
        if let index = arguments.firstIndex(of: "--config"), index + 1 < arguments.count {
            configPath = arguments[index + 1]
        }
        guard let configPath else { return nil }
        return ComponentEnvironment(
            component: environment[componentKey] ?? defaultComponent,
            configPath: configPath,
            segmentName: environment[segmentKey],
            slot: environment[slotKey].flatMap(Int.init),
            supervisorPid: environment[supervisorPidKey].flatMap(Int32.init)
        )
    }

    /// The variables for a child process, added to `base`.
    public func variables(runDir: String, base: [String: String]) -> [String: String] {
        var result = base
        result[Self.componentKey] = component
        result[Self.configKey] = configPath
        if let segmentName { result[Self.segmentKey] = segmentName }
        if let slot { result[Self.slotKey] = String(slot) }
        if let supervisorPid { result[Self.supervisorPidKey] = String(supervisorPid) }
        result[Self.runDirKey] = runDir
        return result
    }
}

import Foundation

/// Frame types of the supervisor's control socket (`<run_dir>/pgraftd.sock`).
public enum ControlFrameType {
    /// A JSON-encoded `ControlRequest`.
    public static let request: UInt16 = 1
    /// A JSON-encoded `ControlResponse`.
    public static let response: UInt16 = 2
}

/// What an operator (through `pgraftctl`) asks the supervisor.
public struct ControlRequest: Codable, Sendable, Equatable {
    /// The verbs the supervisor understands.
    public enum Command: String, Codable, Sendable {
        /// The node and every component's state.
        case status
        /// Restart one component (`component` names it).
        case restart
        /// Stop the whole node, as SIGTERM does.
        case stop
        /// Re-read the YAML file, as SIGHUP does, and report what happened.
        case reload
        /// Where a component's log file is (`component` names it; `pgraftd` is the supervisor's own).
        case logPath = "log_path"
        /// The configuration in force, with every default filled in.
        case config
    }

    /// The verb.
    public var command: Command
    /// The component the verb applies to, for `restart` and `logPath`.
    public var component: String?

    /// A request for `command`, about `component` where the verb needs one.
    public init(command: Command, component: String? = nil) {
        self.command = command
        self.component = component
    }
}

/// One component as `pgraftctl status` shows it.
public struct ComponentStatus: Codable, Sendable, Equatable {
    /// The component's name from the YAML (`storage`, `api`, or an operator's own).
    public var name: String
    /// IDLE, STARTING, RUNNING, STOPPING, STOPPED, BACKOFF, FAILED or DISABLED.
    public var state: String
    /// The process id, or nil when no process runs.
    public var pid: Int32?
    /// How many times the supervisor restarted it since the node started.
    public var restarts: Int
    /// Seconds since the current process was started, or nil.
    public var uptimeSeconds: Double?
    /// How the previous process ended ("exit 1", "killed by SIGKILL (9)"), or nil.
    public var lastExit: String?
    /// Its log file.
    public var logFile: String

    /// A status line for one component.
    public init(
        name: String, state: String, pid: Int32?, restarts: Int, uptimeSeconds: Double?, lastExit: String?,
        logFile: String
    ) {
        self.name = name
        self.state = state
        self.pid = pid
        self.restarts = restarts
        self.uptimeSeconds = uptimeSeconds
        self.lastExit = lastExit
        self.logFile = logFile
    }

    enum CodingKeys: String, CodingKey {
        case name, state, pid, restarts
        case uptimeSeconds = "uptime_s"
        case lastExit = "last_exit"
        case logFile = "log_file"
    }

    /// Every key is always present; what does not apply is `null`, so scripts can rely on the shape.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(state, forKey: .state)
        try container.encode(pid, forKey: .pid)
        try container.encode(restarts, forKey: .restarts)
        try container.encode(uptimeSeconds, forKey: .uptimeSeconds)
        try container.encode(lastExit, forKey: .lastExit)
        try container.encode(logFile, forKey: .logFile)
    }
}

/// The node as the supervisor sees it.
public struct NodeStatus: Codable, Sendable, Equatable {
    /// This node's id from the YAML.
    public var nodeId: UInt64
    /// The cluster this node belongs to.
    public var clusterName: String
    /// The supervisor's process id.
    public var supervisorPid: Int32
    /// Seconds since the supervisor started.
    public var uptimeSeconds: Double
    /// The YAML file the supervisor runs from.
    public var configPath: String
    /// Every configured component, in start order.
    public var components: [ComponentStatus]

    /// A node status.
    public init(
        nodeId: UInt64, clusterName: String, supervisorPid: Int32, uptimeSeconds: Double, configPath: String,
        components: [ComponentStatus]
    ) {
        self.nodeId = nodeId
        self.clusterName = clusterName
        self.supervisorPid = supervisorPid
        self.uptimeSeconds = uptimeSeconds
        self.configPath = configPath
        self.components = components
    }

    enum CodingKeys: String, CodingKey {
        case nodeId = "node_id"
        case clusterName = "cluster_name"
        case supervisorPid = "supervisor_pid"
        case uptimeSeconds = "uptime_s"
        case configPath = "config_path"
        case components
    }
}

/// What a reload did.
public struct ReloadResult: Codable, Sendable, Equatable {
    /// True when the new file was taken; false when it was refused and the old one kept.
    public var applied: Bool
    /// Components restarted because their settings changed.
    public var restarted: [String]
    /// Components started or stopped because they were enabled, disabled, added or removed.
    public var started: [String]
    /// Components stopped because they were disabled or removed.
    public var stopped: [String]
    /// Why the file was refused, one line each (file:line:column: message).
    public var errors: [String]

    /// A reload outcome.
    public init(applied: Bool, restarted: [String] = [], started: [String] = [], stopped: [String] = [], errors: [String] = []) {
        self.applied = applied
        self.restarted = restarted
        self.started = started
        self.stopped = stopped
        self.errors = errors
    }
}

/// The supervisor's answer to one `ControlRequest`.
public struct ControlResponse: Codable, Sendable, Equatable {
    /// False when the request failed; `error` then says why.
    public var ok: Bool
    /// What went wrong, for the operator.
    public var error: String?
    /// For `status`.
    public var status: NodeStatus?
    /// For `reload`.
    public var reload: ReloadResult?
    /// For `logPath`.
    public var logPath: String?
    /// For `config`: the effective YAML.
    public var configYAML: String?
    /// For `config`: the file it was read from.
    public var configPath: String?

    /// A response; fill the field that belongs to the request.
    public init(
        ok: Bool, error: String? = nil, status: NodeStatus? = nil, reload: ReloadResult? = nil, logPath: String? = nil,
        configYAML: String? = nil, configPath: String? = nil
    ) {
        self.ok = ok
        self.error = error
        self.status = status
        self.reload = reload
        self.logPath = logPath
        self.configYAML = configYAML
        self.configPath = configPath
    }

    /// A failed response carrying `message`.
    public static func failure(_ message: String) -> ControlResponse { ControlResponse(ok: false, error: message) }

    enum CodingKeys: String, CodingKey {
        case ok, error, status, reload
        case logPath = "log_path"
        case configYAML = "config_yaml"
        case configPath = "config_path"
    }
}

/// JSON encoding shared by both ends of the control socket.
public enum ControlCodec {
    /// Encodes a message as a frame of `type`.
    public static func frame<T: Encodable>(_ value: T, type: UInt16) throws -> Frame {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Frame(type: type, payload: Array(try encoder.encode(value)))
    }

    /// Decodes a frame's payload as `T`.
    public static func decode<T: Decodable>(_ type: T.Type, from frame: Frame) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(frame.payload))
    }
}

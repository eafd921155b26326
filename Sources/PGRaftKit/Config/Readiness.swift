/// How the supervisor learns that a freshly spawned component is running (`readiness:` in the YAML).
public enum Readiness: String, Sendable, Equatable, CaseIterable {
    /// The component marks itself ready in its slot of the shared-memory segment (built-ins).
    case segment
    /// The component counts as running as soon as its process was spawned (plugins that do not
    /// speak the segment contract).
    case started
}

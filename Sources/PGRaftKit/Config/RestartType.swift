/// When the supervisor starts a component again after its process ended (`restart:` in the YAML).
public enum RestartType: String, Sendable, Equatable, CaseIterable {
    /// Always restart it, whatever the exit (the default: components are meant to run forever).
    case always
    /// Restart it only after a failure (non-zero exit, signal, hang); a clean exit 0 leaves it stopped.
    case onFailure = "on-failure"
    /// Never restart it: a one-shot task.
    case never
}

extension NodeConfig {
    /// The complete configuration as YAML: every key with its value, defaults filled in, paths
    /// absolute, all five built-in components listed. It parses back to an equal `NodeConfig`.
    ///
    /// A password written in the file is not shown: the YAML names the file it is in
    /// (`password: !not-shown "/etc/pgraft/pgraft.yaml"`), and reading the YAML takes it from there
    /// (see `PostgresSecret`), so the file pgraftd hands its components holds no password either.
    ///
    /// The supervisor hands this to its components (so they never disagree with it about a default)
    /// and shows it to operators (`pgraftctl config`).
    public func effectiveYAML() -> String {
        var out = ConfigYAMLWriter()
        out.comment("Effective pgraft configuration: every default filled in, every path absolute.")
        if !path.isEmpty { out.comment("Read from \(ConfigYAMLWriter.quoted(path))") }
        writeSettings(to: &out) { _ in true }
        return out.text
    }
}

extension NodeConfig {
    /// Writes the settings that `include` accepts in `ConfigSchema`'s order, each section with those
    /// of its settings (an absent optional section as a comment), a section without any left out.
    func writeSettings(to out: inout ConfigYAMLWriter, where include: (ConfigSetting) -> Bool) {
        for group in ConfigSchema.groups {
            let settings = group.settings.filter(include)
            guard let section = group.section else {
                for setting in settings { setting.write(self, &out) }
                continue
            }
            if settings.isEmpty { continue }
            if let absence = group.absence, !absence.isPresent(self) {
                out.comment(absence.note)
                continue
            }
            out.section(section) { out in
                for setting in settings { setting.write(self, &out) }
            }
        }
    }
}

extension ComponentSpec {
    /// Writes every setting of the component, as in its `components:` entry.
    func write(to out: inout ConfigYAMLWriter) {
        out.bool("enabled", enabled)
        if let command {
            out.string("command", command)
        } else {
            out.comment("command: pgraft-\(name) next to pgraftd")
        }
        out.raw("args", ConfigYAMLWriter.quotedList(args))
        if env.isEmpty {
            out.raw("env", "{}")
        } else {
            out.section("env") { out in
                for key in env.keys.sorted() {
                    out.string(ConfigYAMLWriter.quoted(key), env[key]!)
                }
            }
        }
        out.raw("restart", restart.rawValue)
        out.raw("readiness", readiness.rawValue)
        out.bool("watchdog", watchdog)
        out.int("stop_timeout_ms", stopTimeoutMs)
    }
}

extension NodeConfig {
    /// A stable text of exactly the settings `component` reads; when it differs between the old and
    /// the new configuration on reload, the supervisor restarts that component (and only those).
    ///
    /// Which settings a component reads is each setting's `readers` in `ConfigSchema`, and every
    /// component reads its own `components:` entry.
    ///
    /// A password written in the file counts through a digest keyed for this process only: the
    /// fingerprint changes with the password without holding it. The content of a `password_file`
    /// is not part of it (the bridge reads the file when it starts).
    public func settingsFingerprint(for component: String) -> String {
        var out = ConfigYAMLWriter(secretForm: .digest)
        writeSettings(to: &out) { $0.readers.includes(component) }
        if let spec = self.component(named: component) {
            out.section("component") { spec.write(to: &$0) }
        } else {
            out.raw("component", "null")
        }
        return out.text
    }

    /// The settings among `cluster_name`, `node_id` and `run_dir` that differ from `old`'s, by YAML key.
    ///
    /// These name the node (segment, sockets, identity towards peers), so a reload cannot change them;
    /// the supervisor refuses a reload for which this is not empty.
    public func identityChanges(comparedTo old: NodeConfig) -> [String] {
        ConfigSchema.settings.filter { $0.setting.readers == .identity }.compactMap { key, setting in
            var new = ConfigYAMLWriter(), previous = ConfigYAMLWriter()
            setting.write(self, &new)
            setting.write(old, &previous)
            return new.lines == previous.lines ? nil : key
        }
    }
}

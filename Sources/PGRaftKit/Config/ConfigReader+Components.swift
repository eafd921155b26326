extension ConfigSetting {
    /// `components`: the built-ins' overrides and the operator's components, each with its entry.
    static let components = ConfigSetting(
        key: "components", readers: .ownEntry,
        read: { reader, map, config in
            let stopTimeout = reader.isValid("supervisor.stop_timeout_ms")
                ? config.supervisor.stopTimeoutMs : SupervisorSettings.defaults.stopTimeoutMs
            guard let components = reader.readComponents(map, defaultStopTimeoutMs: stopTimeout) else { return false }
            config.components = components
            return true
        },
        write: { config, out in
            out.section("components") { out in
                for component in config.components {
                    out.section(ConfigYAMLWriter.quoted(component.name)) { out in component.write(to: &out) }
                }
            }
        })
}

extension ConfigReader {
    /// All components: the five built-ins in start order (with their entries' overrides), then the
    /// operator's components in file order.
    mutating func readComponents(_ map: ConfigMapping, defaultStopTimeoutMs: Int) -> [ComponentSpec]? {
        guard let section = section("components", in: map, knownKeys: nil) else { return nil }
        var valid = true
        var read: [String: ComponentSpec] = [:]
        var operatorNames: [String] = []
        for entry in section.entries {
            guard ConfigSyntax.isComponentName(entry.key) else {
                error(entry.keyMark, "components: invalid component name '\(entry.key)'; expected 1–31 characters of a-z, 0-9, '_' and '-'")
                valid = false
                continue
            }
            let isBuiltin = ComponentSpec.builtinNames.contains(entry.key)
            if !isBuiltin { operatorNames.append(entry.key) }
            guard let spec = readComponent(entry, isBuiltin: isBuiltin, defaultStopTimeoutMs: defaultStopTimeoutMs) else {
                valid = false
                continue
            }
            read[entry.key] = spec
        }
        guard valid else { return nil }
        let builtins = ComponentSpec.builtinNames.map { name in
            read[name] ?? ComponentSpec(
                name: name, enabled: true, command: nil, args: [], env: [:], restart: .always,
                readiness: .segment, watchdog: true, stopTimeoutMs: defaultStopTimeoutMs, isBuiltin: true)
        }
        return builtins + operatorNames.compactMap { read[$0] }
    }

    private mutating func readComponent(
        _ entry: ConfigMapping.Entry, isBuiltin: Bool, defaultStopTimeoutMs: Int
    ) -> ComponentSpec? {
        let label = "components.\(entry.key)"
        guard let map = ConfigMapping(entry.value, path: label, anchor: entry.keyMark, knownKeys: ConfigSchema.componentKeys, reader: &self)
        else { return nil }
        let enabled = bool("enabled", in: map, default: true)
        var command: String?? = .some(nil)
        if let node = map.value("command"), ConfigValueKind(node) != .null || !isBuiltin {
            command = string(node, label: map.label("command")) { text in
                text.isEmpty ? "expected an executable's path or name, got an empty string" : nil
            }.map { text in text.contains("/") ? ConfigPath.absolute(text, base: baseDirectory) : text }
        } else if !isBuiltin {
            missing("command", in: map, note: " (an operator component needs the executable to run; built-ins are \(ComponentSpec.builtinNames.joined(separator: ", ")))")
            command = nil
        }
        let args = readArgs(map)
        let env = readEnv(map)
        let restart = choice("restart", in: map, default: RestartType.always)
        let readiness = choice("readiness", in: map, default: isBuiltin ? Readiness.segment : Readiness.started)
        var watchdog = bool("watchdog", in: map, default: isBuiltin && readiness == .segment)
        if watchdog == true, readiness == .started {
            error(map.mark("watchdog"), "\(label).watchdog: a component with readiness 'started' cannot have a watchdog (it does not heartbeat in the segment); set readiness: segment or watchdog: false")
            watchdog = nil
        }
        let stopTimeout = int("stop_timeout_ms", in: map, default: defaultStopTimeoutMs, range: ConfigSchema.longMsRange)
        guard let enabled, let command, let args, let env, let restart, let readiness, let watchdog, let stopTimeout else {
            return nil
        }
        return ComponentSpec(
            name: entry.key, enabled: enabled, command: command, args: args, env: env, restart: restart,
            readiness: readiness, watchdog: watchdog, stopTimeoutMs: stopTimeout, isBuiltin: isBuiltin)
    }

    private mutating func readArgs(_ map: ConfigMapping) -> [String]? {
        guard let node = map.value("args") else { return [] }
        if ConfigValueKind(node) == .null { return [] }
        guard case .sequence(let sequence) = node.content else {
            error(node.position, "\(map.label("args")): expected a list of strings, got \(ConfigValueKind(node).description)")
            return nil
        }
        var args: [String] = []
        var valid = true
        for (index, item) in sequence.enumerated() {
            if let text = string(item, label: "\(map.label("args"))[\(index)]") { args.append(text) } else { valid = false }
        }
        return valid ? args : nil
    }

    private mutating func readEnv(_ map: ConfigMapping) -> [String: String]? {
        guard let entry = map.entry("env") else { return [:] }
        guard let envMap = ConfigMapping(entry.value, path: map.label("env"), anchor: entry.keyMark, knownKeys: nil, reader: &self)
        else { return nil }
        var env: [String: String] = [:]
        var valid = true
        for variable in envMap.entries {
            if variable.key.isEmpty || variable.key.contains("=") || variable.key.contains("\0") {
                error(variable.keyMark, "\(envMap.label(variable.key)): invalid environment variable name; it must be non-empty without '='")
                valid = false
            } else if let value = string(variable.value, label: envMap.label(variable.key)) {
                env[variable.key] = value
            } else {
                valid = false
            }
        }
        return valid ? env : nil
    }
}

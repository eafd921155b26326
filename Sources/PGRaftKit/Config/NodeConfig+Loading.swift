import Foundation

extension NodeConfig {
    /// Reads and validates the YAML file at `path` (relative to the working directory or absolute);
    /// relative paths inside it are resolved against the file's directory.
    ///
    /// Throws every problem found (unreadable file, syntax, types, ranges, cross-checks), each with its
    /// line and column, so one `pgraftd --check` run shows everything to fix.
    ///
    /// A password the file does not show (`!not-shown "FILE"`, the effective YAML's form) is read
    /// from FILE's `postgres` section.
    public static func load(path: String) throws(ConfigLoadError) -> NodeConfig {
        let absolute = ConfigPath.absolute(path, base: ConfigPath.currentDirectory)
        let text: String
        switch readFile(absolute) {
        case .success(let contents):
            text = contents
        case .failure(let failure):
            throw ConfigLoadError(errors: [ConfigError(file: path, line: 0, column: 0, message: failure.message)])
        }
        var config = try parse(yaml: text, file: path, baseDirectory: ConfigPath.directory(of: absolute), sourcePath: absolute)
        config.path = absolute
        return config
    }

    /// Validates `yaml`, naming `file` in errors and resolving relative paths against
    /// `baseDirectory` (made absolute against the working directory if it is relative).
    /// The result's `path` is "".
    ///
    /// A password written in `yaml` records no file, so the effective YAML of the result cannot be
    /// read back with it (see `PostgresSecret`); `load` records the file.
    public static func parse(yaml: String, file: String, baseDirectory: String) throws(ConfigLoadError) -> NodeConfig {
        try parse(yaml: yaml, file: file, baseDirectory: baseDirectory, sourcePath: nil)
    }

    /// `parse(yaml:file:baseDirectory:)` of the text of the file at the absolute `sourcePath`.
    static func parse(yaml: String, file: String, baseDirectory: String, sourcePath: String?) throws(ConfigLoadError) -> NodeConfig {
        var reader = ConfigReader(file: file, baseDirectory: ConfigPath.absolute(baseDirectory, base: ConfigPath.currentDirectory))
        reader.sourcePath = sourcePath
        // A byte order mark is invisible in editors; dropping it keeps line 1's columns as they see them.
        let text = yaml.unicodeScalars.first == "\u{FEFF}" ? String(yaml.unicodeScalars.dropFirst()) : yaml
        let root = ConfigDocument.compose(text, reader: &reader)
        let config = root.flatMap { reader.readNodeConfig($0, sourcePath: "") }
        guard let config, reader.errors.isEmpty else {
            var errors = reader.errors
            if errors.isEmpty { errors.append(ConfigError(file: file, line: 0, column: 0, message: "invalid configuration")) }
            throw ConfigLoadError(errors: errors)
        }
        return config
    }

    /// The file's text, or why it cannot be read.
    static func readFile(_ path: String) -> Result<String, ReadFailure> {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return .failure(ReadFailure("cannot read the configuration file: it is a directory"))
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            return .failure(ReadFailure("cannot read the configuration file: \(String(cString: strerror(errno)))"))
        }
        close(descriptor)
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ReadFailure("cannot read the configuration file: I/O error"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(ReadFailure("the configuration file is not valid UTF-8 text"))
        }
        return .success(text)
    }

    /// Why a file could not be read.
    struct ReadFailure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}

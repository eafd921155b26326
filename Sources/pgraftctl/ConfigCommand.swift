import ArgumentParser
import Foundation
import PGRaftCLI
import PGRaftKit

/// `pgraftctl config …`: check, show and edit the node's YAML.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check, show or edit the node's configuration.",
        subcommands: [ConfigCheck.self, ConfigShow.self, ConfigEdit.self])
}

/// `pgraftctl config check FILE`.
struct ConfigCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Validate a YAML file: print OK, or every error with its line and column.")

    @Argument(help: "The file to check.")
    var file: String

    func run() throws {
        do {
            _ = try NodeConfig.load(path: file)
            print("OK")
        } catch {
            throw CLIError(error.description)
        }
    }
}

/// `pgraftctl config show`.
struct ConfigShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the configuration in force, every default filled in.",
        discussion: "Asks the running pgraftd; when it is not running, shows the file given by --config instead.")

    @OptionGroup var node: NodeOptions

    func run() throws {
        do {
            let response = try node.client().send(ControlRequest(command: .config))
            guard response.ok, let yaml = response.configYAML else { throw CLIError(response.error ?? "no configuration") }
            print("# in force in pgraftd, read from \(response.configPath ?? "?")")
            print(yaml, terminator: yaml.hasSuffix("\n") ? "" : "\n")
        } catch let error as ControlClientError {
            guard node.socket == nil else { throw CLIError(error.description) }
            let config = try node.loadConfig()
            FileHandle.standardError.write(Data("pgraftctl: pgraftd is not reachable; showing \(config.path)\n".utf8))
            print(config.effectiveYAML())
        }
    }
}

/// `pgraftctl config edit`: edit a copy, validate it, show the diff, install it atomically, reload.
struct ConfigEdit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Edit the YAML in $VISUAL/$EDITOR; a valid edit is written atomically and reloaded.",
        discussion: """
            The editor works on a copy. An edit that does not validate, or that changes cluster_name, node_id or \
            run_dir, is refused with its errors: the file is left as it was and the edited copy is kept for you.
            """)

    @OptionGroup var node: NodeOptions

    func run() throws {
        let path: String
        if node.socket != nil && node.config == nil {
            let response = try node.sendExpectingSuccess(ControlRequest(command: .config))
            guard let configPath = response.configPath else { throw CLIError("pgraftd did not say which file it reads") }
            path = configPath
        } else {
            path = (node.configPath as NSString).standardizingPath
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let original: String
        do {
            original = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw CLIError("cannot read \(path): \(error.localizedDescription)")
        }
        let copy = directory + "/.\(url.lastPathComponent).edit-\(getpid())"
        try original.write(toFile: copy, atomically: true, encoding: .utf8)
        try runEditor(on: copy)
        let edited = try String(contentsOfFile: copy, encoding: .utf8)
        guard edited != original else {
            try? FileManager.default.removeItem(atPath: copy)
            print("no changes")
            return
        }
        let newConfig: NodeConfig
        do {
            newConfig = try NodeConfig.parse(yaml: edited, file: path, baseDirectory: directory)
        } catch {
            throw CLIError("edit refused, \(path) is unchanged (your edit is kept in \(copy)):\n\(error.description)")
        }
        if let old = try? NodeConfig.load(path: path) {
            let changes = newConfig.identityChanges(comparedTo: old)
            if !changes.isEmpty {
                throw CLIError(
                    "edit refused, \(path) is unchanged (your edit is kept in \(copy)): "
                        + "\(changes.joined(separator: ", ")) cannot change while the node exists")
            }
        }
        print(unifiedDiff(from: path, to: copy), terminator: "")
        try install(copy, over: path)
        print("wrote \(path)")
        do {
            try report(try node.client().send(ControlRequest(command: .reload)))
        } catch let error as ControlClientError {
            print("pgraftd not reachable (\(error)); the new file applies when it starts or reloads")
        }
    }

    private func runEditor(on file: String) throws {
        let environment = ProcessInfo.processInfo.environment
        let editor = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(editor) \"$1\"", "sh", file]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(atPath: file)
            throw CLIError("the editor (\(editor)) exited with status \(process.terminationStatus); nothing changed")
        }
    }

    private func unifiedDiff(from old: String, to new: String) -> String {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        process.arguments = ["-u", "--label", old, "--label", old + " (edited)", old, new]
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Replaces `path` by `copy` atomically and durably: fsync the copy, keep the mode, rename, fsync the directory.
    private func install(_ copy: String, over path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            // Keep owner, group and mode: pgraftd (often the postgres user) must still read it.
            _ = chown(copy, info.st_uid, info.st_gid)
            chmod(copy, info.st_mode & 0o7777)
        }
        let fd = open(copy, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(copy, path) == 0 else { throw CLIError("\(SystemError("rename \(copy) to \(path)"))") }
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}

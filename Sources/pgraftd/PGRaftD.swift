import ArgumentParser
import Foundation
import PGRaftKit
import PGRaftSupervisor

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `pgraftd`: the per-host supervisor of a pgraft node.
@main
struct PGRaftD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgraftd",
        abstract: "Run one pgraft node: the supervisor of its transport, consensus, storage, bridge and api processes.",
        discussion: """
            Runs in the foreground (for systemd or a terminal). SIGTERM or SIGINT stops the node, SIGHUP reloads \
            the configuration. Exit codes: 0 stopped cleanly, 1 could not start (the error says why), \
            2 restart intensity exceeded.
            """)

    @Option(name: .long, help: ArgumentHelp("The node's YAML configuration.", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Validate a configuration file, print OK or its errors, and exit.", valueName: "file"))
    var check: String?

    func validate() throws {
        if config == nil && check == nil { throw ValidationError("give --config FILE to run a node, or --check FILE") }
    }

    func run() throws {
        if let check {
            do {
                _ = try NodeConfig.load(path: check)
                print("OK")
            } catch {
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
                throw ExitCode(1)
            }
            return
        }
        let path = config!
        // Signals are blocked before any thread exists; the loop reads them from a signalfd.
        let signals = try SignalSource()
        let nodeConfig: NodeConfig
        do {
            nodeConfig = try NodeConfig.load(path: path)
        } catch {
            FileHandle.standardError.write(Data(("pgraftd: invalid configuration, nothing started:\n" + error.description + "\n").utf8))
            throw ExitCode(1)
        }
        try? FileManager.default.createDirectory(atPath: nodeConfig.logDir, withIntermediateDirectories: true)
        let ownLog = try? SharedLogFile(
            path: nodeConfig.logFilePath(component: "pgraftd"), maxBytes: nodeConfig.log.maxBytes,
            keep: nodeConfig.log.keep)
        let logger = PGRaftLogHandler.bootstrap(label: "pgraftd", debug: nodeConfig.debugEnabled) { line in
            ownLog?.append(line)
        }
        let supervisor = Supervisor(
            configPath: nodeConfig.path, config: nodeConfig, executableDirectory: Self.executableDirectory(),
            logger: logger, signals: signals)
        let code = supervisor.run()
        if code != 0 { throw ExitCode(code) }
    }

    private static func executableDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        return (path as NSString).deletingLastPathComponent
    }
}

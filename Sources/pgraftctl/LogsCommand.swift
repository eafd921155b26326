import ArgumentParser
import Foundation
import PGRaftCLI
import PGRaftKit

/// `pgraftctl logs NAME`: the last lines of a component's log file, optionally following it.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print the last lines of a component's log (pgraftd: the supervisor's own).")

    @OptionGroup var node: NodeOptions

    @Argument(help: "The component, or pgraftd.")
    var name: String

    @Option(name: .shortAndLong, help: "How many lines.")
    var lines: Int = 50

    @Flag(name: .shortAndLong, help: "Keep printing lines as they are written (Ctrl-C ends), across rotations.")
    var follow = false

    func validate() throws {
        if lines < 0 { throw ValidationError("--lines must be 0 or more, got \(lines)") }
    }

    func run() throws {
        guard let path = try node.sendExpectingSuccess(ControlRequest(command: .logPath, component: name)).logPath else {
            throw CLIError("the supervisor sent no log path")
        }
        var tail = try LogTail(path: path)
        for line in try tail.lastLines(lines) { print(line) }
        guard follow else { return }
        fflush(nil)
        while true {
            let lines = tail.newLines()
            if !lines.isEmpty { FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8)) }
            usleep(200_000)
        }
    }
}

/// Reads a log file's end and follows it, reopening it when it is rotated.
struct LogTail {
    let path: String
    private var handle: FileHandle?
    private var inode: UInt64 = 0
    private var offset: UInt64 = 0
    private var partial = Data()

    init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("no log file yet at \(path)")
        }
        reopen(atEnd: false)
    }

    /// The last `count` lines; afterwards `newLines` continues from the end.
    mutating func lastLines(_ count: Int) throws -> [String] {
        guard let handle else { throw CLIError("cannot open \(path)") }
        let size = try handle.seekToEnd()
        offset = size
        guard count > 0 else { return [] }
        var chunk: UInt64 = 64 * 1024
        while true {
            let start = size > chunk ? size - chunk : 0
            try handle.seek(toOffset: start)
            let data = handle.readData(ofLength: Int(size - start))
            var text = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            if text.last == "" { text.removeLast() }
            if text.count > count || start == 0 {
                try handle.seek(toOffset: size)
                return text.suffix(count).map(String.init)
            }
            chunk *= 4
        }
    }

    /// Lines written since the last call; follows a rotation to the new file.
    mutating func newLines() -> [String] {
        var info = stat()
        if stat(path, &info) == 0, UInt64(info.st_ino) != inode || UInt64(info.st_size) < offset {
            var lines = readAvailable()
            reopen(atEnd: false)
            lines += readAvailable()
            return lines
        }
        return readAvailable()
    }

    private mutating func readAvailable() -> [String] {
        guard let handle else { return [] }
        let data = handle.readDataToEndOfFile()
        offset += UInt64(data.count)
        partial.append(data)
        guard let last = partial.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        let complete = partial[partial.startIndex...last]
        partial = Data(partial[(last + 1)...])
        return String(decoding: complete, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }

    private mutating func reopen(atEnd: Bool) {
        try? handle?.close()
        handle = FileHandle(forReadingAtPath: path)
        var info = stat()
        inode = stat(path, &info) == 0 ? UInt64(info.st_ino) : 0
        offset = 0
        partial = Data()
        if atEnd, let handle { offset = (try? handle.seekToEnd()) ?? 0 }
    }
}

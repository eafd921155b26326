import ArgumentParser
import Foundation
import PGRaftCLI
import PGRaftKit

/// `pgraftctl log …`: the replicated command log, through the node's HTTP API.
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Append to, read and trim the replicated command log through the node's HTTP API.",
        subcommands: [LogAppend.self, LogGet.self, LogStats.self, LogTrim.self])
}

/// `pgraftctl log append DATA`.
struct LogAppend: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "append", abstract: "Append a record; prints its sequence.")

    @OptionGroup var node: NodeOptions

    @Argument(help: "The record's data, or - to read it from standard input.")
    var data: String

    func run() throws {
        let bytes = data == "-" ? Array(FileHandle.standardInput.readDataToEndOfFile()) : Array(data.utf8)
        print(try APIOutput.logAppend(try node.api().call("POST", "/v1/log", body: bytes)))
    }
}

/// `pgraftctl log get SEQUENCE`.
struct LogGet: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print a record's data.")

    @OptionGroup var node: NodeOptions

    @Argument(help: "The record's sequence number (from 1).")
    var sequence: String

    @Flag(name: .long, help: "Print the API's JSON (index, term) instead of the data.")
    var json = false

    func run() throws {
        guard let number = UInt64(sequence), number > 0 else {
            throw CLIError("SEQUENCE must be a whole number ≥ 1, not \"\(sequence)\"")
        }
        let body = try node.api().call("GET", "/v1/log/\(number)")
        writeStandardOutput(json ? body : try APIOutput.bytes("data", of: body) + [UInt8(ascii: "\n")])
    }
}

/// `pgraftctl log stats`.
struct LogStats: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Record count, bytes, first and last sequence.")

    @OptionGroup var node: NodeOptions

    func run() throws {
        print(try APIOutput.logStats(try node.api().call("GET", "/v1/log")))
    }
}

/// `pgraftctl log trim --through SEQUENCE`.
struct LogTrim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trim",
        abstract: "Drop the records up to and including a sequence, on every node; sequences are never reused.")

    @OptionGroup var node: NodeOptions

    @Option(name: .long, help: "The last sequence to drop.")
    var through: String

    func run() throws {
        guard let number = UInt64(through), number > 0 else {
            throw CLIError("--through must be a whole number ≥ 1, not \"\(through)\"")
        }
        print(try APIOutput.logTrim(try node.api().call("DELETE", "/v1/log?through=\(number)")))
    }
}

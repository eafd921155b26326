import ArgumentParser
import Foundation
import PGRaftCLI
import PGRaftKit

/// `pgraftctl kv …`: the replicated key-value store, through the node's HTTP API.
struct KVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv", abstract: "Put, get, delete and list keys through the node's HTTP API.",
        subcommands: [KVPut.self, KVGet.self, KVDelete.self, KVList.self])
}

/// `pgraftctl kv put KEY VALUE`.
struct KVPut: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Set a key (linearizable write).")

    @OptionGroup var node: NodeOptions

    @Argument(help: "The key (1–1024 bytes; may contain /).")
    var key: String

    @Argument(help: "The value, or - to read it from standard input.")
    var value: String

    func run() throws {
        let bytes = value == "-" ? Array(FileHandle.standardInput.readDataToEndOfFile()) : Array(value.utf8)
        let body = try node.api().call("PUT", "/v1/kv/" + NodeAPI.encodePath(try checkedKey(key)), body: bytes)
        print(try APIOutput.put(body))
    }
}

/// `pgraftctl kv get KEY [--stale] [--json]`.
struct KVGet: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print a key's value.")

    @OptionGroup var node: NodeOptions

    @Argument(help: "The key.")
    var key: String

    @Flag(name: .long, help: "Read this node's copy without asking the leader (may be stale).")
    var stale = false

    @Flag(name: .long, help: "Print the API's JSON (revisions, version) instead of the value.")
    var json = false

    func run() throws {
        let body = try node.api().call("GET", "/v1/kv/" + NodeAPI.encodePath(try checkedKey(key)) + (stale ? "?stale=true" : ""))
        if json {
            writeStandardOutput(body)
        } else {
            writeStandardOutput(try APIOutput.bytes("value", of: body) + [UInt8(ascii: "\n")])
        }
    }
}

/// `pgraftctl kv delete KEY`.
struct KVDelete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a key.")

    @OptionGroup var node: NodeOptions

    @Argument(help: "The key.")
    var key: String

    func run() throws {
        print(try APIOutput.delete(try node.api().call("DELETE", "/v1/kv/" + NodeAPI.encodePath(try checkedKey(key)))))
    }
}

/// `pgraftctl kv list [PREFIX] [--stale] [--json]`.
struct KVList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Print every key with its value (KEY<TAB>VALUE), sorted, optionally under a prefix.")

    @OptionGroup var node: NodeOptions

    @Argument(help: "Only keys starting with this.")
    var prefix: String = ""

    @Flag(name: .long, help: "Read this node's copy without asking the leader (may be stale).")
    var stale = false

    @Flag(name: .long, help: "Print the API's JSON.")
    var json = false

    func run() throws {
        let target = "/v1/kv?prefix=" + NodeAPI.encodePath(prefix) + (stale ? "&stale=true" : "")
        let body = try node.api().call("GET", target)
        if json {
            writeStandardOutput(body)
        } else {
            let text = try APIOutput.list(body)
            if !text.isEmpty { print(text) }
        }
    }
}

/// `key` unless it is empty or over 1024 bytes, checked here so the message names the argument.
func checkedKey(_ key: String) throws -> String {
    guard !key.isEmpty else { throw CLIError("KEY is empty") }
    guard key.utf8.count <= 1024 else { throw CLIError("KEY is \(key.utf8.count) bytes; at most 1024 are allowed") }
    return key
}

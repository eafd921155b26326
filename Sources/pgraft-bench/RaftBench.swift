import ArgumentParser
import Foundation
import MallocInterposerSwift
import PGRaftBenchCore
import RaftSim

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `pgraft-bench raft`: a 3-node in-memory cluster over RaftCore, proposals of fixed-size entries,
/// committed entries per second and heap allocations per committed entry.
///
/// Allocations are counted by the malloc interposer, which must be loaded before `main`: the
/// command re-executes itself once with `LD_PRELOAD` naming the interposer next to it.
struct RaftBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft",
        abstract: "Drive a 3-node in-memory RaftCore cluster; report committed entries/s and allocations per entry.")

    @Option(help: "Entries to commit per run.")
    var entries = 2_000_000

    @Option(help: "Payload bytes per entry.")
    var payloadBytes = 128

    @Option(help: "Runs; the table shows each and the median.")
    var runs = 3

    static let preloadMarker = "PGRAFT_BENCH_INTERPOSED"

    func validate() throws {
        guard entries > 0, payloadBytes >= 0, runs > 0 else {
            throw ValidationError("--entries and --runs must be positive, --payload-bytes 0 or more")
        }
    }

    func run() throws {
        try reexecWithInterposerIfNeeded()
        MallocInterposerSwift.initialize()
        print("raft benchmark: 3 nodes in one process, \(entries) entries of \(payloadBytes) bytes, \(runs) runs")
        print("| run | committed entries/s | heap allocations per entry |")
        print("| --- | --- | --- |")
        var rates: [Double] = []
        for index in 1...runs {
            MallocInterposerSwift.reset()
            MallocInterposerSwift.hook()
            let result = RaftBenchmark.run(entries: entries, payloadBytes: payloadBytes)
            MallocInterposerSwift.unhook()
            let allocations = Double(MallocInterposerSwift.getStatistics().mallocCount) / Double(entries)
            rates.append(result.entriesPerSecond)
            print("| \(index) | " + String(format: "%.0f | %.3f |", result.entriesPerSecond, allocations))
        }
        print("| median | " + String(format: "%.0f", percentile(rates.sorted(), 50)) + " | |")
    }

    /// Runs this same command again with the interposer preloaded, unless that is already so.
    private func reexecWithInterposerIfNeeded() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment[Self.preloadMarker] == nil else { return }
        let library = BuildDirectory.path + "/libMallocInterposerSwift.so"
        guard access(library, R_OK) == 0 else {
            throw ValidationError("cannot count allocations: \(library) is missing (build pgraft-bench with swift build)")
        }
        setenv("LD_PRELOAD", library, 1)
        setenv(Self.preloadMarker, "1", 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        throw ValidationError("cannot re-execute with the interposer: \(String(cString: strerror(errno)))")
    }
}

/// The directory holding this executable and the libraries built with it.
enum BuildDirectory {
    static var path: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (executable as NSString).deletingLastPathComponent
    }
}

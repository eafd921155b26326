import Foundation
import PGRaftKit
import PGRaftTestSupport
import Testing
@testable import PGRaftStorage

#if canImport(Glibc)
@preconcurrency import Glibc
import RaftCore
import PGRaftStorageProtocol
#endif

/// `pgraft-storage` as a real process, killed with SIGKILL at random seeded moments.
///
/// Set `PGRAFT_CRASH_SEED` and `PGRAFT_CRASH_ROUNDS` to replay or extend a run.
final class StorageProcessHarness {
    let dir = TemporaryDirectory("crash")
    let configPath: String
    let server: StorageTestServer
    let outputPath: String
    let segmentBytes: Int

    init(segmentBytes: Int = 256 * 1024) throws {
        self.segmentBytes = segmentBytes
        configPath = dir.path + "/pgraft.yaml"
        outputPath = dir.path + "/storage.out"
        try FileManager.default.createDirectory(atPath: dir.path + "/run", withIntermediateDirectories: true)
        let yaml = NodeSandbox.yaml(cluster: "crash\(getpid())", listenPort: 17_001, apiPort: 17_002, healthPeriodMs: 100, extra: "")
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        server = try StorageTestServer(path: dir.path + "/run/consensus.sock")
    }

    var dataDir: String { dir.path + "/data" }

    func start() throws -> SpawnedProcess {
        let out = open(outputPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { close(out) }
        return try SpawnedProcess(
            path: BuildProducts.path("pgraft-storage"),
            arguments: ["--config", configPath, "--segment-bytes", String(segmentBytes)], stdout: out, stderr: out)
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    deinit { server.close() }
}

/// The exact payload of entry `index` in the crash test: mostly small, every 31st one 2–10 KiB, so
/// that batches span pages and a SIGKILL can land inside a write and leave a torn tail.
func crashPayload(for index: UInt64) -> [UInt8] {
    guard index % 31 == 0 else { return payload(for: index) }
    var random = SeededRandom(seed: index)
    let length = 2048 + Int(random.next() % 8192)
    return (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next() >> 7) }
}

@Suite(.serialized) struct CrashTests {
    /// Checks entries `from...to` hold exactly the test payloads, in order, with no gap.
    func verify(_ client: StorageClient, from: UInt64, to: UInt64) throws {
        var next = from
        while next <= to {
            let batch = try client.entries(from: next, to: to + 1, maxBytes: 1 << 20)
            for got in batch {
                #expect(got.index == next, "gap: found \(got.index) where \(next) belongs")
                #expect(got.data == crashPayload(for: got.index) && got.type == UInt8(got.index % 2), "entry \(got.index) differs")
                next = got.index + 1
            }
        }
    }

    @Test func acknowledgedEntriesSurviveKill9AtRandomMoments() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["PGRAFT_CRASH_SEED"].flatMap { UInt64($0) } ?? 0xC0FFEE
        let rounds = environment["PGRAFT_CRASH_ROUNDS"].flatMap { Int($0) } ?? 120
        var random = SeededRandom(seed: seed)
        let harness = try StorageProcessHarness()
        var maxAcknowledged: UInt64 = 0
        var verifiedUpTo: UInt64 = 0
        var tornTails = 0
        var term: UInt64 = 1
        var committed: UInt64 = 0
        var truncations = 0
        let started = Date()
        for round in 0..<rounds {
            let process = try harness.start()
            let client = try harness.server.accept(timeout: 30)
            let bounds = try client.bounds()
            #expect(bounds.last >= maxAcknowledged, "round \(round) (seed \(seed)): acknowledged \(maxAcknowledged), found \(bounds.last)")
            try verify(client, from: verifiedUpTo + 1, to: bounds.last)
            verifiedUpTo = bounds.last

            // Part of the acknowledged prefix is recorded as committed in the hard state. Every third
            // round a new leader's entries replace the log after a random uncommitted index (a truncation
            // of entries that were acknowledged but never committed: those need not survive).
            committed = max(committed, maxAcknowledged - random.next() % (min(maxAcknowledged, 50) + 1))
            #expect(try client.call(.saveHardState(HardState(term: term, vote: 1, commit: committed))) == .saved)
            var start = bounds.last + 1
            if round % 3 == 1 && bounds.last > committed {
                term += 1
                start = committed + 1 + random.next() % (bounds.last - committed)
                maxAcknowledged = start - 1
                truncations += 1
            }
            let allocator = IndexAllocator(next: start)
            let entryTerm = term
            let killAfterAcks = Int(random.next() % 80)
            let jitterMicroseconds = UInt32(random.next() % 1500)
            let writers = 4
            let group = DispatchGroup()
            for writer in 0..<writers {
                let batchSize = UInt64(writer == 0 ? 16 + random.next() % 32 : 1 + random.next() % 5)
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    while true {
                        var first: UInt64 = 0
                        guard let ticket = try? client.submit({
                            first = allocator.take(batchSize)
                            return .append((first...(first + batchSize - 1)).map {
                                LogEntry(term: entryTerm, index: $0, type: UInt8($0 % 2), data: crashPayload(for: $0))
                            })
                        }) else { return }
                        guard let reply = try? ticket.wait(timeout: 30) else { return }
                        guard reply.status == .persisted else {
                            Issue.record("writer \(writer): append refused: \(reply.result)")
                            return
                        }
                        allocator.acknowledge(first + batchSize - 1)
                    }
                }
            }
            let reached = waitUntil(timeout: 20) { allocator.ackCount >= killAfterAcks }
            #expect(reached, "round \(round): only \(allocator.ackCount) acknowledgements")
            usleep(jitterMicroseconds)  // the kill lands at a random moment of the write/fsync cycle
            kill(process.pid, SIGKILL)
            process.waitUntilExit()
            #expect(group.wait(timeout: .now() + 30) == .success)
            maxAcknowledged = max(maxAcknowledged, allocator.maxAcknowledged)
            client.close()
        }
        let process = try harness.start()
        let client = try harness.server.accept(timeout: 30)
        let bounds = try client.bounds()
        #expect(bounds.first == 1 && bounds.last >= maxAcknowledged)
        #expect(try client.loadState().hardState.commit == committed)
        try verify(client, from: 1, to: bounds.last)
        client.close()
        kill(process.pid, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        tornTails = harness.output.components(separatedBy: "truncated a torn tail").count - 1
        print("crash test: \(rounds) rounds, seed \(seed), \(bounds.last) entries, \(maxAcknowledged) acknowledged, \(truncations) truncations, "
            + "\(tornTails) torn tails cut, \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    @Test func corruptMiddleRecordStopsTheProcessWithFileAndOffset() throws {
        let harness = try StorageProcessHarness(segmentBytes: 4096)
        do {
            let engine = try LogEngine(directory: harness.dataDir, options: .init(segmentBytes: 4096), logger: quietLogger)
            try engine.append(entries(1...200))
            try engine.sync()
            engine.close()
        }
        let segments = try FileManager.default.contentsOfDirectory(atPath: harness.dataDir).filter { $0.hasPrefix("wal-") }.sorted()
        let path = harness.dataDir + "/" + segments[1]
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        bytes[100] ^= 0x01
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let process = try harness.start()
        #expect(waitUntil(timeout: 20) { !process.isRunning })
        #expect(process.terminationStatus == ComponentRuntime.permanentFailure)
        #expect(harness.output.contains(path + " at offset "), "\(harness.output)")
        #expect([UInt8](FileManager.default.contents(atPath: path)!) == bytes)
    }

    @Test func aSecondStorageOnTheSameDataDirIsRefusedWithThePid() throws {
        let harness = try StorageProcessHarness()
        let first = try harness.start()
        let client = try harness.server.accept(timeout: 30)
        let second = try harness.start()
        #expect(waitUntil(timeout: 20) { !second.isRunning })
        #expect(harness.output.contains("is locked by another process (pid \(first.pid))"))
        client.close()
        kill(first.pid, SIGKILL)
        first.waitUntilExit()
    }
}

import ArgumentParser
import Foundation
import PGRaftBenchCore
import PGRaftKit
import PGRaftStorage
import PGRaftTestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
import PGRaftStorageProtocol
#endif

/// `pgraft-bench storage`: the durable log against the disk's own limit, in one run on one disk.
///
/// (a) a raw loop of write + fdatasync of one record's size appended to a file: the physical limit;
/// (a') the same loop into a preallocated file, the limit of the engine's own write pattern;
/// (b) appends to a real `pgraft-storage` over its socket by one writer waiting for each
///     acknowledgement; (c) the same with many concurrent writers (group commit): as Swift tasks,
///     (c') as OS threads, (c'') as appends kept in flight by one thread, the way consensus sends;
/// (d) the storage process's RSS at 100,000 and at 2,000,000 entries.
struct StorageBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Measure the storage component: raw fdatasync loop, one writer, concurrent writers, RSS as the log grows.")

    @Option(help: "Directory on the disk to measure (a temporary directory is made inside it).")
    var dir: String = NSTemporaryDirectory()

    @Option(help: "Seconds per throughput phase, split into interleaved slices.")
    var seconds: Double = 6

    @Option(help: "Slices each phase is split into; the phases alternate slice by slice.")
    var slices: Int = 6

    @Option(help: "Payload bytes per entry.")
    var payloadBytes: Int = 100

    @Option(help: "Concurrent writers in phases (c), (c') and (c'').")
    var writers: Int = 64

    @Option(help: "Entries for the RSS phase (0 skips it); RSS is read at 100,000 and at this count.")
    var rssEntries: Int = 2_000_000

    func run() throws {
        let base = (dir.hasSuffix("/") ? dir : dir + "/") + "pgraft-storage-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: base + "/run", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let recordSize = RecordCodec.size(payloadCount: payloadBytes)
        print("storage benchmark: \(payloadBytes)-byte payloads (\(recordSize)-byte records), \(seconds) s per phase, in \(base)")

        let data = [UInt8](repeating: 0xAB, count: payloadBytes)
        let server = try StorageTestServer(path: base + "/run/consensus.sock")
        defer { server.close() }
        var storage = try StorageUnderTest(base: base, name: "throughput", server: server)
        let log = LogState(next: 1)
        // The disk's speed drifts (other tenants, caches): the phases run interleaved in short
        // slices, so that each sees the same disk.
        var raw = PhaseTotals()
        var single = PhaseTotals()
        var tasks = PhaseTotals()
        var threads = PhaseTotals()
        var pipelined = PhaseTotals()
        let slice = seconds / Double(slices)
        let rawFile = try RawFile(path: base + "/raw.dat")
        // The engine preallocates its segments; the same loop into a preallocated file is the
        // physical limit of that write pattern, so ratios are given against both.
        var preallocated = PhaseTotals()
        let preallocatedFile = try RawFile(path: base + "/raw-preallocated.dat", preallocate: 64 << 20)
        for _ in 0..<slices {
            raw.add(try rawLoop(file: rawFile, recordSize: recordSize, seconds: slice))
            preallocated.add(try rawLoop(file: preallocatedFile, recordSize: recordSize, seconds: slice))
            single.add(try appendPhase(client: storage.client, log: log, data: data, writers: 1, seconds: slice))
            tasks.add(try taskPhase(client: storage.client, log: log, data: data, writers: writers, seconds: slice))
            threads.add(try appendPhase(client: storage.client, log: log, data: data, writers: writers, seconds: slice))
            pipelined.add(try pipelinedPhase(client: storage.client, log: log, data: data, writers: writers, seconds: slice))
        }
        storage.stop()
        let limit = raw.result.entriesPerSecond
        let preallocatedLimit = preallocated.result.entriesPerSecond

        print("")
        print("phase                         entries/s   fsyncs/s   p50 ms   p99 ms   ratio to (a)   ratio to (a')")
        let rows = [
            ("(a) raw write+fdatasync", raw.result), ("(a') same, preallocated file", preallocated.result),
            ("(b) 1 writer, acked", single.result),
            ("(c) \(writers) writer tasks", tasks.result), ("(c') \(writers) writer threads", threads.result),
            ("(c'') \(writers) in flight, 1 thread", pipelined.result),
        ]
        for (name, phase) in rows {
            print(
                name.padding(toLength: 28, withPad: " ", startingAt: 0)
                    + Self.column(phase.entriesPerSecond, 11, 0) + Self.column(phase.syncsPerSecond, 11, 0)
                    + Self.column(phase.p50 * 1000, 9, 3) + Self.column(phase.p99 * 1000, 9, 3)
                    + Self.column(phase.entriesPerSecond / limit, 15, 2) + Self.column(phase.entriesPerSecond / preallocatedLimit, 16, 2))
        }
        print("")
        print("(b)/(a) = \(String(format: "%.2f", single.result.entriesPerSecond / limit))   target >= 0.8   (b)/(a') = \(String(format: "%.2f", single.result.entriesPerSecond / preallocatedLimit))")
        print("(c)/(a) = \(String(format: "%.1f", tasks.result.entriesPerSecond / limit))   target >= 20    (c)/(a') = \(String(format: "%.1f", tasks.result.entriesPerSecond / preallocatedLimit))")
        print("(c')/(a) = \(String(format: "%.1f", threads.result.entriesPerSecond / limit))   (c'')/(a) = \(String(format: "%.1f", pipelined.result.entriesPerSecond / limit))")

        if rssEntries > 0 {
            var fresh = try StorageUnderTest(base: base, name: "rss", server: server)
            defer { fresh.stop() }
            try rssPhase(client: fresh.client, log: LogState(next: 1), data: data, pid: fresh.process.pid)
        }
    }

    /// A `pgraft-storage` process on its own data directory below `base`, connected to `server`.
    struct StorageUnderTest {
        let process: SpawnedProcess
        let client: StorageClient
        private var stopped = false

        init(base: String, name: String, server: StorageTestServer) throws {
            let yaml = NodeSandbox.yaml(cluster: "bench\(getpid())", listenPort: 17_101, apiPort: 17_102, healthPeriodMs: 500, extra: "")
                .replacingOccurrences(of: "data_dir: data", with: "data_dir: data-\(name)")
            let config = base + "/\(name).yaml"
            try yaml.write(toFile: config, atomically: true, encoding: .utf8)
            let output = open(base + "/storage-\(name).out", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            defer { close(output) }
            process = try SpawnedProcess(
                path: BuildProducts.path("pgraft-storage"), arguments: ["--config", config], stdout: output, stderr: output)
            client = try server.accept(timeout: 30)
        }

        mutating func stop() {
            guard !stopped else { return }
            stopped = true
            // Stop the process first: with its connection closed first, it would connect again.
            kill(process.pid, SIGTERM)
            process.waitUntilExit()
            client.close()
        }
    }

    struct PhaseResult {
        var entriesPerSecond: Double
        var syncsPerSecond: Double
        var p50: Double
        var p99: Double
    }

    /// A phase's slices added up.
    struct PhaseTotals {
        var entries = 0
        var syncs: UInt64 = 0
        var elapsed = 0.0
        var latencies: [Double] = []

        mutating func add(_ sample: PhaseSample) {
            entries += sample.latencies.count
            syncs += sample.syncs
            elapsed += sample.elapsed
            latencies += sample.latencies
        }

        var result: PhaseResult {
            let sorted = latencies.sorted()
            return PhaseResult(
                entriesPerSecond: Double(entries) / elapsed, syncsPerSecond: Double(syncs) / elapsed,
                p50: percentile(sorted, 50), p99: percentile(sorted, 99))
        }
    }

    /// One slice of one phase.
    struct PhaseSample {
        var latencies: [Double]
        var syncs: UInt64
        var elapsed: Double
    }

    /// The next index, shared by writer threads.
    final class LogState: @unchecked Sendable {
        private let lock = NSLock()
        private var next: UInt64
        private var latencies: [Double] = []
        private var failures = 0

        init(next: UInt64) { self.next = next }

        func take(_ count: UInt64) -> UInt64 {
            lock.withLock {
                defer { next += count }
                return next
            }
        }

        func record(_ more: [Double], failures moreFailures: Int) {
            lock.withLock {
                latencies += more
                failures += moreFailures
            }
        }

        func drain() -> (latencies: [Double], failures: Int) {
            lock.withLock {
                defer {
                    latencies = []
                    failures = 0
                }
                return (latencies, failures)
            }
        }

        var nextIndex: UInt64 { lock.withLock { next } }
    }

    /// A file appended to by the raw loop across its slices, as a segment is.
    final class RawFile {
        let path: String
        let fd: Int32
        var offset: off_t = 0

        /// A new file at `path`; `preallocate` bytes are allocated (and made durable) up front.
        init(path: String, preallocate: Int = 0) throws {
            self.path = path
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SystemError("open \(path)") }
            if preallocate > 0 {
                guard posix_fallocate(fd, 0, off_t(preallocate)) == 0, fsync(fd) == 0 else {
                    throw SystemError("preallocate \(path)")
                }
            }
        }

        deinit {
            close(fd)
            unlink(path)
        }
    }

    private func rawLoop(file: RawFile, recordSize: Int, seconds: Double) throws -> PhaseSample {
        let record = [UInt8](repeating: 0x5A, count: recordSize)
        var latencies: [Double] = []
        let start = Self.now()
        while Self.now() - start < seconds {
            let t0 = Self.now()
            let written = record.withUnsafeBytes { pwrite(file.fd, $0.baseAddress, $0.count, file.offset) }
            guard written == recordSize else { throw SystemError("write \(file.path)") }
            guard fdatasync(file.fd) == 0 else { throw SystemError("fdatasync \(file.path)") }
            file.offset += off_t(recordSize)
            latencies.append(Self.now() - t0)
        }
        return PhaseSample(latencies: latencies, syncs: UInt64(latencies.count), elapsed: Self.now() - start)
    }

    /// `writers` tasks, each appending and awaiting its own acknowledgement before its next append:
    /// concurrent writers as a Swift program has them, many on the few threads of the pool.
    private func taskPhase(client: StorageClient, log: LogState, data: [UInt8], writers: Int, seconds: Double) throws -> PhaseSample {
        let syncsBefore = try client.stats().syncs
        let start = Self.now()
        let deadline = start + seconds
        let latencies = try Self.blocking {
            try await withThrowingTaskGroup(of: [Double].self) { group in
                for _ in 0..<writers {
                    group.addTask {
                        var latencies: [Double] = []
                        while Self.now() < deadline {
                            let t0 = Self.now()
                            let ticket = try client.submit { .append([LogEntry(term: 1, index: log.take(1), data: data)]) }
                            guard try await ticket.reply().status == .persisted else { throw ValidationError("an append failed") }
                            latencies.append(Self.now() - t0)
                        }
                        return latencies
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        let elapsed = Self.now() - start
        let syncs = try client.stats().syncs - syncsBefore
        return PhaseSample(latencies: latencies, syncs: syncs, elapsed: elapsed)
    }

    /// Runs `body` on the concurrency pool and blocks the calling thread (not one of the pool's)
    /// until it returns.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = Outcome<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { outcome.result = .success(try await body()) } catch { outcome.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try outcome.result!.get()
    }

    /// A task's result handed to the thread waiting for it: written before the semaphore is
    /// signalled, read after it was waited for.
    final class Outcome<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }

    /// `writers` appends kept in flight by one thread, each a writer waiting for its own
    /// acknowledgement: the way the consensus process drives storage (one connection, pipelined).
    private func pipelinedPhase(client: StorageClient, log: LogState, data: [UInt8], writers: Int, seconds: Double) throws -> PhaseSample {
        let syncsBefore = try client.stats().syncs
        let start = Self.now()
        let deadline = start + seconds
        var inFlight: [(ticket: StorageTicket, sentAt: Double)] = []
        // Each writer that got its acknowledgement appends again; those ready together go out in one write.
        func send(_ count: Int) throws {
            guard count > 0 else { return }
            let sentAt = Self.now()
            let tickets = try client.submitAll(count: count) {
                let index = log.take(1)
                return .append([LogEntry(term: 1, index: index, data: data)])
            }
            inFlight += tickets.map { ($0, sentAt) }
        }
        try send(writers)
        var head = 0
        var latencies: [Double] = []
        var failures = 0
        while head < inFlight.count {
            var acknowledged = 0
            repeat {
                let (ticket, sentAt) = inFlight[head]
                head += 1
                acknowledged += 1
                if try ticket.wait(timeout: 60).status == .persisted {
                    latencies.append(Self.now() - sentAt)
                } else {
                    failures += 1
                }
            } while head < inFlight.count && inFlight[head].ticket.isComplete
            if Self.now() < deadline { try send(acknowledged) }
            if head > 4096 {
                inFlight.removeFirst(head)
                head = 0
            }
        }
        let elapsed = Self.now() - start
        let syncs = try client.stats().syncs - syncsBefore
        guard failures == 0 else { throw ValidationError("\(failures) appends failed") }
        return PhaseSample(latencies: latencies, syncs: syncs, elapsed: elapsed)
    }

    private func appendPhase(client: StorageClient, log: LogState, data: [UInt8], writers: Int, seconds: Double) throws -> PhaseSample {
        let syncsBefore = try client.stats().syncs
        let group = DispatchGroup()
        let start = Self.now()
        let deadline = start + seconds
        for _ in 0..<writers {
            group.enter()
            Thread.detachNewThread {
                // Each thread keeps its own figures: a shared lock taken per append would make the
                // writers queue on the benchmark's own bookkeeping.
                var latencies: [Double] = []
                var failures = 0
                defer {
                    log.record(latencies, failures: failures)
                    group.leave()
                }
                while Self.now() < deadline {
                    let t0 = Self.now()
                    guard let ticket = try? client.submit({ .append([LogEntry(term: 1, index: log.take(1), data: data)]) }),
                        (try? ticket.wait(timeout: 60))?.status == .persisted
                    else {
                        failures += 1
                        return
                    }
                    latencies.append(Self.now() - t0)
                }
            }
        }
        group.wait()
        let elapsed = Self.now() - start
        let syncs = try client.stats().syncs - syncsBefore
        let (latencies, failures) = log.drain()
        guard failures == 0 else { throw ValidationError("\(failures) appends failed") }
        return PhaseSample(latencies: latencies, syncs: syncs, elapsed: elapsed)
    }

    private func rssPhase(client: StorageClient, log: LogState, data: [UInt8], pid: Int32) throws {
        let batch: UInt64 = 1000
        var samples: [(entries: UInt64, rssMiB: Double, indexBytes: UInt64)] = []
        let checkpoints: [UInt64] = [100_000, UInt64(rssEntries)]
        var tickets: [StorageTicket] = []
        for checkpoint in checkpoints where checkpoint >= log.nextIndex {
            while log.nextIndex <= checkpoint {
                let first = log.nextIndex
                let count = min(batch, checkpoint - first + 1)
                tickets.append(try client.submit {
                    let index = log.take(count)
                    return .append((0..<count).map { LogEntry(term: 1, index: index + $0, data: data) })
                })
                if tickets.count >= 8 {
                    guard try tickets.removeFirst().wait(timeout: 60).status == .persisted else { throw ValidationError("append failed") }
                }
            }
            for ticket in tickets {
                guard try ticket.wait(timeout: 60).status == .persisted else { throw ValidationError("append failed") }
            }
            tickets.removeAll()
            // Read old entries back from disk, as a lagging follower would.
            _ = try client.entries(from: 1, to: 1001)
            _ = try client.entries(from: checkpoint / 2, to: checkpoint / 2 + 1000)
            samples.append((checkpoint, MemoryUse(pid: pid).rss, try client.stats().indexBytes))
        }
        print("")
        print("entries      storage RSS   in-memory index")
        for sample in samples {
            print(
                String(sample.entries).padding(toLength: 13, withPad: " ", startingAt: 0)
                    + "\(String(format: "%.1f", sample.rssMiB)) MiB".padding(toLength: 14, withPad: " ", startingAt: 0)
                    + "\(String(format: "%.1f", Double(sample.indexBytes) / 1024)) KiB")
        }
        if samples.count == 2 {
            let growth = samples[1].rssMiB / samples[0].rssMiB - 1
            print("RSS growth from \(samples[0].entries) to \(samples[1].entries) entries: \(String(format: "%+.1f", growth * 100)) %   target within 10 %")
        }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func column(_ value: Double, _ width: Int, _ decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

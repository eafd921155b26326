import Foundation
import PGRaftTestSupport
import Logging
@testable import PGRaftStorage

#if canImport(Glibc)
@preconcurrency import Glibc
import PGRaftStorageProtocol
#endif

/// A directory under /tmp removed when the value is dropped.
final class TemporaryDirectory {
    let path: String

    init(_ label: String = "storage") {
        path = NSTemporaryDirectory() + "pgraft-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Segment file names, oldest first.
    var segmentFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasPrefix("wal-") }.sorted()
    }

    func bytes(_ name: String) -> [UInt8] {
        [UInt8](FileManager.default.contents(atPath: path + "/" + name) ?? Data())
    }

    func write(_ name: String, _ bytes: [UInt8]) {
        _ = FileManager.default.createFile(atPath: path + "/" + name, contents: Data(bytes))
    }

    /// Every file's name and content, to prove that a refused recovery changed nothing.
    func fingerprint() -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { out[name] = bytes(name) }
        return out
    }
}


/// The exact payload of entry `index` in the tests: its length and bytes follow from the index alone,
/// so any entry found on disk can be checked, acknowledged or not.
func payload(for index: UInt64, maxLength: Int = 200) -> [UInt8] {
    var random = SeededRandom(seed: index &* 0x5851_F42D_4C95_7F2D)
    let length = Int(random.next() % UInt64(maxLength + 1))
    return (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
}

func entry(_ index: UInt64, term: UInt64 = 1, maxLength: Int = 200) -> LogEntry {
    LogEntry(term: term, index: index, type: UInt8(index % 2), data: payload(for: index, maxLength: maxLength))
}

func entries(_ range: ClosedRange<UInt64>, term: UInt64 = 1, maxLength: Int = 200) -> [LogEntry] {
    range.map { entry($0, term: term, maxLength: maxLength) }
}

let quietLogger: Logger = {
    var logger = Logger(label: "storage-test")
    logger.logLevel = .critical
    return logger
}()

func openEngine(_ dir: TemporaryDirectory, segmentBytes: Int = 64 * 1024 * 1024, stride: Int = 32, preallocate: Bool = true)
    throws(StorageError) -> LogEngine
{
    try LogEngine(
        directory: dir.path, options: .init(segmentBytes: segmentBytes, indexStride: stride, preallocate: preallocate), logger: quietLogger)
}

/// Polls `condition` until it holds or `timeout` seconds pass.
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

/// Runs the jobs of the tasks that prefer it on one thread of its own, so that a test's tasks do
/// not wait for the shared cooperative pool, which tests running alongside may hold for minutes
/// with blocking calls.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init() {
        let thread = Thread { [self] in run() }
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    /// Lets the thread end once the jobs enqueued so far have run.
    func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            guard !jobs.isEmpty else {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

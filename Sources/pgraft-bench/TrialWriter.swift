import Foundation
import PGRaftBenchCore
import PGRaftPostgres

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The failover trial's writer: on its own thread, one row per transaction on whichever node
/// answers `GET /primary`, recording every acknowledged id with its time and the synchronous
/// standbys its server showed right after the commit.
///
/// Each statement is one simple-protocol round trip,
/// `BEGIN; INSERT …; COMMIT; SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')`:
/// the commit is acknowledged when its `COMMIT` returns (with synchronous replication, after the
/// standbys confirmed it), and the count is read after it, so a commit that waited for a standby
/// is not mistaken for one that had none. Each attempt takes a new id, acknowledged or not, so a
/// commit whose acknowledgement was lost never collides with the next. Any error closes the
/// connection; the writer then asks the nodes again which one is primary.
final class TrialWriter: @unchecked Sendable {
    private let cluster: TrialCluster
    private let table: String
    private let round: Int
    private let retryMs: Int
    private let lock = NSLock()
    private var acknowledgements: [Acknowledgement] = []
    private var nextID: Int64
    private var stopping = false
    private var failures = 0
    private var lastFailure: String?
    private let finished = DispatchSemaphore(value: 0)

    /// A writer for `round` that numbers its rows from `firstID`, waiting `retryMs` after a failure.
    init(cluster: TrialCluster, table: String, round: Int, firstID: Int64, retryMs: Int) {
        self.cluster = cluster
        self.table = table
        self.round = round
        self.retryMs = retryMs
        nextID = firstID
    }

    /// Starts writing on a thread of its own.
    func start() {
        Thread.detachNewThread { [self] in
            loop()
            finished.signal()
        }
    }

    /// Stops the writer and waits until its last statement has ended; returns the id the next
    /// round starts from. Calling it again returns the same id at once.
    func stop() -> Int64 {
        let first = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        if first { finished.wait() }
        return lock.withLock { nextID }
    }

    /// The acknowledgements from position `index` on (the caller keeps its own cursor).
    func acknowledgements(from index: Int) -> [Acknowledgement] {
        lock.withLock { index < acknowledgements.count ? Array(acknowledgements[index...]) : [] }
    }

    /// Statements that failed, and the last failure's text.
    var failureSummary: (count: Int, last: String?) { lock.withLock { (failures, lastFailure) } }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func loop() {
        var connection: PostgresConnection?
        var node: FailoverNode?
        while !isStopping {
            if connection == nil {
                guard let primary = cluster.primaries().first else {
                    usleep(UInt32(retryMs) * 1_000)
                    continue
                }
                do {
                    connection = try cluster.connect(primary)
                    node = primary
                } catch {
                    failed("connect to node \(primary.id): \(error)")
                    continue
                }
            }
            guard let open = connection, let current = node else { continue }
            let id = lock.withLock {
                defer { nextID += 1 }
                return nextID
            }
            do {
                let rows = try open.query(
                    "BEGIN; INSERT INTO \(table) (id, round) VALUES (\(id), \(round)); COMMIT; "
                        + "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')",
                    timeoutMs: cluster.queryTimeoutMs)
                let at = cluster.clock.ms()
                let standbys = rows.first?.first.flatMap { $0.flatMap { Int($0) } } ?? 0
                lock.withLock {
                    acknowledgements.append(Acknowledgement(id: id, node: current.id, atMs: at, synchronousStandbys: standbys))
                }
            } catch {
                open.close()
                connection = nil
                node = nil
                failed("node \(current.id), id \(id): \(error)")
            }
        }
        connection?.close()
    }

    private func failed(_ text: String) {
        lock.withLock {
            failures += 1
            lastFailure = text
        }
        usleep(UInt32(retryMs) * 1_000)
    }
}

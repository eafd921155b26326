import PGRaftBridge
import RaftCore

/// One record of a simulated server's write-ahead log. Every record is made once, on one server
/// (`id` is unique in the run), and copied as is: two logs that hold the same record at a position
/// hold the same history up to it.
struct SimWALRecord: Equatable {
    /// Unique in the run.
    let id: UInt64
    /// The timeline it was written on.
    let timeline: UInt32
    /// The committed transaction it carries (0: a timeline switch or the initial checkpoint).
    let txn: UInt64
}

/// A simulated PostgreSQL server of one node: its data directory (a WAL of records, each at the
/// position one more than the one before), whether it runs, as a primary or a standby, whom it
/// streams from, and the synchronous standbys a commit waits for. Every write is durable at once.
final class SimPostgres {
    /// The system identifier of its data directory; nil while the directory is empty.
    var systemIdentifier: UInt64?
    /// The WAL: record k is at position k + 1.
    var wal: [SimWALRecord] = []
    /// The directory is set up as a standby (standby.signal).
    var isStandbyDirectory = false
    /// Whether the server runs.
    var running = false
    /// The postmaster's pid (a new one each start).
    var pid: Int32 = 0
    /// Whether it runs in recovery (a standby).
    var inRecovery = false
    /// The member it is set to stream from.
    var upstream: NodeID?
    /// The member it streams from now (its WAL receiver is connected and the histories agree).
    var streamingFrom: NodeID?
    /// `synchronous_standby_names`.
    var synchronousNames = ""
    /// Whether it was last stopped cleanly.
    var cleanShutdown = true
    /// pgraft's branch mark in the data directory (copied by a base backup or a rewind).
    var branch: UInt64 = 0

    /// The timeline it is on.
    var timeline: UInt32 { wal.last?.timeline ?? 1 }

    /// The WAL position of its last record.
    var flushed: UInt64 { UInt64(wal.count) }

    /// What the bridge sees.
    func observation(standbys: [ServerObservation.ConnectedStandby]) -> ServerObservation {
        guard let systemIdentifier else { return ServerObservation(dataDirectory: .empty) }
        let control = ServerObservation.ControlData(
            systemIdentifier: systemIdentifier, timeline: timeline, cleanShutdown: cleanShutdown, isStandby: isStandbyDirectory)
        guard running else { return ServerObservation(dataDirectory: .initialized(control), branch: branch) }
        let position = WALPosition(flushed)
        return ServerObservation(
            dataDirectory: .initialized(control), branch: branch,
            running: .init(
                postmasterPID: pid, inRecovery: inRecovery, timeline: timeline, flushed: position, replayed: position,
                streamingFrom: streamingFrom, standbys: inRecovery ? [] : standbys, synchronousStandbyNames: synchronousNames))
    }

    /// Whether a standby holding `wal` can stream from a server holding this one's: its WAL is a
    /// prefix of this one's (else its history left this one's, and it needs a rewind).
    func canFeed(_ standby: SimPostgres) -> Bool {
        guard let last = standby.wal.last else { return true }
        return wal.count >= standby.wal.count && wal[standby.wal.count - 1] == last
    }

    /// How many records the histories of the two share from the start.
    func commonPrefix(with other: SimPostgres) -> Int {
        var n = min(wal.count, other.wal.count)
        // Records are unique: the first equal one from the end marks the shared history.
        while n > 0 && wal[n - 1] != other.wal[n - 1] { n -= 1 }
        return n
    }

    /// What a commit on this primary waits for: nil when it is acknowledged at once (asynchronous),
    /// `needed` of `names` otherwise (an empty set when fenced: never).
    var synchronousRule: (needed: Int, names: Set<NodeID>)? {
        let text = synchronousNames
        if text.isEmpty { return nil }
        guard text.hasPrefix("ANY "), let open = text.firstIndex(of: "("), text.hasSuffix(")"),
            let needed = Int(text[text.index(text.startIndex, offsetBy: 4)..<open].trimmingCharacters(in: " "))
        else { return (1, []) }
        let inside = text[text.index(after: open)..<text.index(before: text.endIndex)]
        let names = inside.split(separator: ",").compactMap { MemberNaming.node(named: $0.trimmingCharacters(in: " ")) }
        return (needed, Set(names))
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}

/// A database client's transaction waiting for its commit to be acknowledged.
struct SimTransaction {
    /// The transaction.
    let txn: UInt64
    /// The node whose server took it.
    let node: NodeID
    /// The position of its commit record there.
    let position: UInt64
    /// The postmaster that took it (a restart loses the wait).
    let pid: Int32
    /// When it was sent.
    let sent: Int
}

/// A commit acknowledged to a client.
struct SimAcknowledged {
    let txn: UInt64
    let node: NodeID
    let at: Int
}

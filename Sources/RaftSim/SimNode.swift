import PGRaftBridge
import PGRaftNode
import PGRaftStateMachine
import RaftCore

/// One simulated server: the node machine (what `pgraft-consensus` runs), its storage process
/// (jobs in flight, lost or torn by a crash) and its disk (what survives).
///
/// A class, so that the checks the simulation runs on every node at every step read it in place
/// instead of copying a whole node each time.
final class SimNode {
    /// What storage was asked to do, in order.
    enum Job {
        case persist(PersistBatch)
        case compact(Snapshot)
    }

    let id: NodeID
    /// The running machine; nil while crashed or after removal.
    var machine: NodeMachine?
    /// The durable state: only what storage finished writing (or a torn prefix of it).
    var disk: PersistentState
    /// Storage's jobs in flight, oldest first, with the step each completes at.
    var jobs: [(job: Job, done: Int)] = []
    /// Whether the storage process is up (it restarts on its own, apart from the machine).
    var storageUp = true
    /// Bumped by each crash, so that an event of an earlier life is ignored.
    var incarnation = 0
    /// Bumped by each storage restart, so that a completion of an earlier storage life is ignored.
    var storageIncarnation = 0
    /// Stopped for good (removed from the group).
    var removed = false
    /// Applied a membership change that removed it.
    var leftGroup = false
    /// Compact when this many entries were applied since the last snapshot.
    var compactEvery: Int
    /// Commit index up to which the committed-entries check ran.
    var checkedCommit: UInt64 = 0
    /// The term in which this node was last seen leading (to detect new leaderships).
    var ledTerm: UInt64 = 0
    /// The members its transport connects, as the machine last announced them; nil until it
    /// announces (pgraft-transport then welcomes any node of the cluster, and dials the members its
    /// configuration lists, which the simulation takes to be every member: an operator lists the
    /// current members in a new node's file).
    var transportMembers: Set<NodeID>?

    /// Its PostgreSQL server (`--postgres`); it outlives the node's crashes (only its process dies).
    let postgres = SimPostgres()
    /// Its bridge core, while the node runs (`--postgres`).
    var bridge: BridgeCore?
    /// The bridge's operation under way on the server, and when it completes.
    var bridgeOperation: (operation: BridgeOperation, done: Int)?
    /// What the bridge last published.
    var bridgeStatus: BridgeStatus?
    /// Since when its server takes writes without its node leading with the topology naming it.
    var unauthorizedSince: Int?

    init(id: NodeID, compactEvery: Int) {
        self.id = id
        self.disk = .joining
        self.compactEvery = compactEvery
    }

    /// The running core, if the machine has loaded its state.
    var core: RawNode? { machine?.core }

    /// The running state machine.
    var sm: ReplicatedStateMachine? { machine?.sm }

    /// Running: neither crashed nor removed.
    var isUp: Bool { machine != nil }

    /// Running with its state loaded.
    var isRunning: Bool { machine?.isRunning ?? false }

    /// Whether storage is writing something.
    var isWriting: Bool { !jobs.isEmpty }

    /// Whether the disk holds nothing (storage answers a load with nil then).
    var diskIsEmpty: Bool { disk == .joining }

    /// The last index the disk holds.
    var diskLastIndex: UInt64 { disk.entries.last?.index ?? disk.snapshot.metadata.index }

    /// Writes what `job` asks to the disk, or only its first `limit` operations (a torn write:
    /// what reached the disk before a crash); returns why the write is impossible, if it is.
    func write(_ job: Job, limit: Int = .max) -> String? {
        var budget = limit
        switch job {
        case .persist(let batch):
            if let s = batch.snapshot {
                guard budget > 0 else { return nil }
                budget -= 1
                disk.snapshot = s
                disk.entries.removeAll()
            }
            if let first = batch.entries.first {
                let last = diskLastIndex
                if first.index > last + 1 {
                    return "storage of n\(id) was asked to write index \(first.index) after \(last): a gap (a batch taken for written never was)"
                }
                if let k = disk.entries.firstIndex(where: { $0.index >= first.index }) { disk.entries.removeSubrange(k...) }
                for entry in batch.entries where entry.index > disk.snapshot.metadata.index {
                    guard budget > 0 else { return nil }
                    budget -= 1
                    disk.entries.append(entry)
                }
            }
            if let hs = batch.hardState, budget > 0 { disk.hardState = hs }
        case .compact(let snapshot):
            guard budget > 0, snapshot.metadata.index > disk.snapshot.metadata.index else { return nil }
            disk.snapshot = snapshot
            disk.entries.removeAll { $0.index <= snapshot.metadata.index }
        }
        return nil
    }

    /// How many operations `job` writes (for tearing it).
    static func size(_ job: Job) -> Int {
        switch job {
        case .persist(let batch): return (batch.snapshot == nil ? 0 : 1) + batch.entries.count + (batch.hardState == nil ? 0 : 1)
        case .compact: return 1
        }
    }
}

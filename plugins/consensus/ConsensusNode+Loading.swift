import CShims
import PGRaftKit
import PGRaftStorage
import RaftCore

#if canImport(Glibc)
import Glibc
#endif

/// Starting the core from what storage holds: a node with an empty log founds the cluster from the
/// configured members (`initial_cluster_state: new`) or waits to be added (`existing`); otherwise
/// its hard state, snapshot and the entries after it are read back.
extension ConsensusNode {
    /// Reads the state from storage and starts the core; again from the start if storage goes away meanwhile.
    func load() {
        guard !loading else { return }
        loading = true
        let sent = storage.send([.loadState, .loadSnapshot]) { [self] replies in
            guard case .state(let state) = replies[0].result, case .snapshot(let stored) = replies[1].result else {
                fatal("storage could not load the node's state: \(replies[0].result) / \(replies[1].result)")
            }
            let empty = state.lastIndex == 0 && stored == nil && state.hardState == PGRaftStorage.HardState()
            if empty {
                startEmpty()
                return
            }
            var snapshot = Snapshot(metadata: .init(index: 0, term: 0, confState: ConfState()), data: [])
            if let stored {
                guard let conf = ConfState.decode(stored.membership) else {
                    fatal("the snapshot at index \(stored.index) has a membership that does not decode")
                }
                snapshot = Snapshot(metadata: .init(index: stored.index, term: stored.term, confState: conf), data: stored.data)
            }
            let hs = RaftCore.HardState(
                term: state.hardState.term, vote: state.hardState.vote == 0 ? nil : state.hardState.vote,
                commit: state.hardState.commit)
            readEntries(from: max(state.firstIndex, snapshot.metadata.index + 1), through: state.lastIndex, into: []) { entries in
                self.start(PersistentState(hardState: hs, snapshot: snapshot, entries: entries))
            }
        }
        if !sent { loading = false }
    }

    /// Reads `from...last` in pages, then calls `done` with all of them.
    private func readEntries(from: UInt64, through last: UInt64, into read: [Entry], done: @escaping ([Entry]) -> Void) {
        guard from <= last else {
            done(read)
            return
        }
        let sent = storage.send([.entries(from: from, to: last + 1, maxBytes: 8 << 20)]) { [self] replies in
            guard case .entries(let page) = replies[0].result, !page.isEmpty else {
                fatal("storage could not read entries \(from)...\(last): \(replies[0].result)")
            }
            var all = read
            for stored in page {
                guard let entry = Self.entry(stored) else { fatal("entry \(stored.index) has an unknown type \(stored.type)") }
                all.append(entry)
            }
            readEntries(from: from + UInt64(page.count), through: last, into: all, done: done)
        }
        if !sent { loading = false }
    }

    /// An empty log: found the cluster, or join one.
    private func startEmpty() {
        switch settings.initialClusterState {
        case .existing:
            logger.info("empty data_dir and initial_cluster_state: existing: waiting to be added to the cluster")
            start(PersistentState.joining)
        case .new:
            let voters = settings.configuredMembers.map(\.id)
            let founding = PersistentState.bootstrap(voters: voters)
            logger.info("empty data_dir: founding the cluster", metadata: ["voters": "\(voters)"])
            // Durable before the core runs: every founding member starts from this same state.
            let sent = storage.send([.saveSnapshot(Self.stored(founding.snapshot)), .saveHardState(Self.stored(founding.hardState))]) { [self] replies in
                guard replies.allSatisfy({ $0.status == .persisted }) else {
                    fatal("storage could not save the founding state: \(replies.map(\.result))")
                }
                start(founding)
            }
            if !sent { loading = false }
        }
    }

    private func start(_ state: PersistentState) {
        guard let restored = ReplicatedStateMachine.restore(state.snapshot.data, membership: state.snapshot.metadata.confState) else {
            fatal("the snapshot at index \(state.snapshot.metadata.index) does not decode")
        }
        sm = restored
        savedHardState = state.hardState
        // Seeded differently on every start, so that two nodes never share a timeout sequence.
        let seed = UInt64(bitPattern: pgr_wall_ms()) ^ (settings.nodeId << 40) ^ UInt64(getpid())
        core = RawNode(config: settings.raftConfig, state: state, random: SplitMix64(seed: seed))
        loading = false
        logger.info(
            "raft started",
            metadata: [
                "term": "\(state.hardState.term)", "commit": "\(state.hardState.commit)",
                "snapshot_index": "\(state.snapshot.metadata.index)", "entries": "\(state.entries.count)",
                "voters": "\(state.snapshot.metadata.confState.voters)",
            ])
        announceMembers()
        publish(force: true)
        settle()
    }

    /// Logs and exits: the supervisor restarts consensus, which loads again from storage.
    func fatal(_ message: String) -> Never {
        logger.critical("\(message); exiting so that a restart loads the state again")
        exit(1)
    }
}

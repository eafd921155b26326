import PGRaftKit
import PGRaftStorageProtocol
import RaftCore

/// Reading the node's state back from storage for the machine: hard state, snapshot, and the
/// entries after it, in pages.
extension ConsensusNode {
    /// Reads what storage holds and feeds it to the machine; a load begun on a connection storage
    /// has since replaced is dropped (the machine asks again on the new one).
    func load() {
        let generation = storageGeneration
        storage.send([.loadState, .loadSnapshot]) { [self] replies in
            guard case .state(let state) = replies[0].result, case .snapshot(let stored) = replies[1].result else {
                fatal("storage could not load the node's state: \(replies[0].result) / \(replies[1].result)")
            }
            if state.lastIndex == 0 && stored == nil && state.hardState == HardState() {
                feed(.loaded(nil))
                return
            }
            var snapshot = Snapshot(metadata: .init(index: 0, term: 0, confState: ConfState()), data: [])
            if let stored {
                guard let conf = ConfState.decode(stored.membership) else {
                    fatal("the snapshot at index \(stored.index) has a membership that does not decode")
                }
                snapshot = Snapshot(metadata: .init(index: stored.index, term: stored.term, confState: conf), data: stored.data)
            }
            readEntries(from: max(state.firstIndex, snapshot.metadata.index + 1), through: state.lastIndex, into: [], generation: generation) { entries in
                self.feed(.loaded(PersistentState(hardState: state.hardState, snapshot: snapshot, entries: entries)))
            }
        }
    }

    /// Reads `from...last` in pages, then calls `done` with all of them.
    private func readEntries(from: UInt64, through last: UInt64, into read: [Entry], generation: Int, done: @escaping ([Entry]) -> Void) {
        guard generation == storageGeneration else { return }
        guard from <= last else { return done(read) }
        storage.send([.entries(from: from, to: last + 1, maxBytes: 8 << 20)]) { [self] replies in
            guard case .entries(let page) = replies[0].result, !page.isEmpty else {
                fatal("storage could not read entries \(from)...\(last): \(replies[0].result)")
            }
            var all = read
            for stored in page {
                guard let entry = Self.entry(stored) else { fatal("entry \(stored.index) has an unknown type \(stored.type)") }
                all.append(entry)
            }
            readEntries(from: from + UInt64(page.count), through: last, into: all, generation: generation, done: done)
        }
    }
}

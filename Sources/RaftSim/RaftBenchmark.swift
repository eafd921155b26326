import RaftCore

/// Throughput of the Raft core alone: a three-node cluster in one thread, with instant
/// in-memory "disks" and a network that is a function call.
public enum RaftBenchmark {
    /// Commits `entries` proposals of `payloadBytes` bytes each through a three-node cluster
    /// and reports committed entries per second and how many were committed. The payload
    /// buffer is shared by every proposal, as a caller batching copies of one buffer would.
    /// Allocations are counted by the caller (`pgraft-bench raft` preloads a malloc interposer).
    public static func run(entries: Int, payloadBytes: Int) -> (entriesPerSecond: Double, committed: Int) {
        let ids: [NodeID] = [1, 2, 3]
        var nodes: [RawNode] = ids.map { id in
            var c = RaftConfig(id: id)
            c.maxEntriesPerMessage = 4096
            c.maxBytesPerMessage = 4 << 20
            c.maxInflightMessages = 64
            c.maxCommittedPerReady = 1 << 16
            return RawNode(config: c, state: .bootstrap(voters: ids))
        }
        var inbox: [[Message]] = [[], [], []]
        nodes[0].campaign()
        var committed = 0
        let payload = [UInt8](repeating: 0x5A, count: payloadBytes)
        let batch = 512

        @inline(__always) func pump(_ nodes: inout [RawNode], _ inbox: inout [[Message]], _ committed: inout Int) -> Bool {
            var progressed = false
            for i in 0..<3 {
                if !inbox[i].isEmpty {
                    let msgs = inbox[i]
                    inbox[i].removeAll(keepingCapacity: true)
                    for m in msgs { nodes[i].step(m) }
                    progressed = true
                }
                guard nodes[i].hasReady else { continue }
                let rd = nodes[i].ready()
                for m in rd.messages { inbox[Int(m.to - 1)].append(m) }
                for m in rd.messagesAfterPersist { inbox[Int(m.to - 1)].append(m) }
                if i == 0 {
                    for e in rd.committedEntries where !e.data.isEmpty { committed += 1 }
                }
                nodes[i].advance(rd)
                progressed = true
            }
            return progressed
        }

        while !nodes[0].isLeader { _ = pump(&nodes, &inbox, &committed) }
        while pump(&nodes, &inbox, &committed) {}
        committed = 0
        let clock = ContinuousClock()
        let start = clock.now
        var proposed = 0
        var sinceCompaction = 0
        while committed < entries {
            while proposed < entries && proposed - committed < 4 * batch {
                for _ in 0..<min(batch, entries - proposed) {
                    _ = try? nodes[0].propose(payload)
                    proposed += 1
                }
            }
            _ = pump(&nodes, &inbox, &committed)
            sinceCompaction += batch
            if sinceCompaction >= 50_000 {
                sinceCompaction = 0
                for i in 0..<3 {
                    let applied = nodes[i].log.applied
                    try? nodes[i].compact(upTo: applied, confState: nodes[i].confState, data: [])
                }
            }
        }
        let elapsed = clock.now - start
        precondition(nodes[1].log.committed >= UInt64(entries) && nodes[2].log.lastIndex >= UInt64(entries), "followers did not replicate")
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (Double(committed) / seconds, committed)
    }
}

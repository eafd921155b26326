/// The kinds of fault the simulator injects; each can be enabled on the command line.
public enum SimFault: String, CaseIterable, Sendable, Hashable {
    /// Messages are dropped.
    case loss
    /// Messages are delivered twice.
    case duplicate
    /// Messages overtake each other (random extra delay).
    case reorder
    /// Latency spikes.
    case delay
    /// Symmetric partitions between random groups.
    case partition
    /// One-way partitions (A hears B, B does not hear A).
    case oneWay = "oneway"
    /// The leader is cut off from everyone.
    case isolateLeader = "isolate"
    /// The cluster splits into a minority and a majority.
    case split
    /// Nodes crash (losing unpersisted writes) and restart.
    case crash
    /// A node's storage process alone restarts, usually in the middle of a write: the machine
    /// loses its connection and must send the batch again when storage is back.
    case storageRestart = "storage-restart"
    /// One disk, or all of them, stalls now and then for tens of milliseconds (an fsync that
    /// waits behind other I/O), so a node's messages and its peers' answers overtake its writes.
    case slowDisk = "slow-disk"
    /// Members are added, promoted, removed and replaced (joint consensus) while faults run.
    case membership
    /// Nodes compact their logs often, so laggards need snapshots.
    case snapshot
    /// The leader hands leadership to another voter.
    case transfer

    /// Parses a comma-separated list; `all` enables every fault.
    public static func parseList(_ s: String) -> Set<SimFault>? {
        var out: Set<SimFault> = []
        for part in s.split(separator: ",") {
            let name = String(part.filter { $0 != " " })
            if name == "all" {
                out.formUnion(SimFault.allCases)
            } else if name == "none" {
                continue
            } else if let f = SimFault(rawValue: name) {
                out.insert(f)
            } else {
                return nil
            }
        }
        return out
    }
}


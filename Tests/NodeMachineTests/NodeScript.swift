import GoldenScripts
import PGRaftClient
import PGRaftNode
import PGRaftStateMachine
import RaftCore

/// Runs golden scenario scripts (`testdata/*.txt`, the format of ``GoldenScript``) against a
/// ``Bench`` of NodeMachines, and prints every event a node handles followed, indented, by what
/// it emitted in order, so that what leaves before the fsync and what after is read at a glance:
///
///     2 <- 1->2 append term=2 prev=3/2 commit=3 entries=[4/2]
///       persist #4 entries=[4/2]
///     2 <- persisted #4
///       send 2->1 appendResponse term=2 index=4
///
/// Logs, publications, counters and member announcements are not printed. A tick is printed only
/// when it made the node emit something (with the clock, so that quiet stretches show).
///
/// Commands:
/// - `cluster <ids…> [bug=NAME…]`: machines with empty disks (NAME from ``DriverDefects/named``);
/// - `boot`: every node loads its disk and founds the cluster, quietly; `settle`: deliver, fsync
///   and tick quietly until a leader is elected, then `status`;
/// - `storage-up <id>`, `storage-down <id>` (the batch being written is lost),
///   `storage-restart <id>` (both), `load <id>` (storage answers the load with the disk);
/// - `fsync <id>`: the batch at the node's storage is written to its disk and reported durable;
/// - `tick <id> [n]`, `tick-all [n]`: the clock moves one tick per round;
/// - `deliver [from->to]`, `drop [from->to]`: the messages queued now (or those of one link);
/// - `stabilize`: deliver and fsync everything until nothing is left;
/// - `propose <id> put <key> <value>`, `propose <id> delete <key>`, `read <id> <key>`
///   (linearizable): a client request, numbered from 1 in each script;
/// - `status`, `disk <id>`.
struct NodeScript {
    var bench: Bench?
    var nextRequest: RequestID = 1

    /// Runs the script at `file`; returns its text as written and with the actual output.
    static func check(file: String) throws -> (expected: String, actual: String) {
        var script = NodeScript()
        return try GoldenScript.check(file: file) { script.run($0) }
    }

    mutating func run(_ command: String) -> [String] {
        let words = command.split(separator: " ").map(String.init)
        guard let verb = words.first else { return [] }
        let args = Array(words.dropFirst())
        if verb == "cluster" {
            var defects: DriverDefects = []
            for name in args where name.hasPrefix("bug=") {
                guard let d = DriverDefects.named.first(where: { $0.name == name.dropFirst(4) }) else { return ["error: unknown bug \(name)"] }
                defects.insert(d.defect)
            }
            bench = Bench(voters: args.compactMap { NodeID($0) }, defects: defects)
            return ["ok"]
        }
        guard var b = bench else { return ["error: cluster first"] }
        defer { bench = b }
        // The node a command names, when the cluster has it.
        let target = args.first.flatMap { NodeID($0) }.flatMap { b.machines[$0] == nil ? nil : $0 }
        let id = target ?? 0
        let times = args.last.flatMap { Int($0) } ?? 1
        var out: [String] = []
        func show(_ id: NodeID, _ event: String, _ actions: [NodeAction], always: Bool = true) {
            let lines = actions.compactMap(Self.describe)
            if always || !lines.isEmpty { out += ["\(id) <- \(event)"] + lines.map { "  " + $0 } }
        }
        func deliver(_ link: (NodeID, NodeID)?, dropping: Bool) {
            let (now, later) = b.network.partitioned { link == nil || ($0.from == link!.0 && $0.to == link!.1) }
            b.network = later
            for m in now {
                if dropping || b.machines[m.to] == nil {
                    out.append("dropped " + GoldenScript.describe(m))
                } else {
                    show(m.to, GoldenScript.describe(m), b.feed(m.to, .peerMessage(m)))
                }
            }
        }
        switch verb {
        case "boot":
            b.boot()
        case "settle":
            b.settle()
            out += status(b)
        case "storage-up" where target != nil:
            show(id, "storage connected", b.feed(id, .storageConnected))
        case "storage-down" where target != nil:
            show(id, "storage gone", b.storageDown(id))
        case "storage-restart" where target != nil:
            show(id, "storage gone", b.storageDown(id))
            show(id, "storage connected", b.feed(id, .storageConnected))
        case "load" where target != nil:
            let disk = b.disks[id]
            show(id, "loaded " + (disk.map(Self.describe) ?? "nothing"), b.feed(id, .loaded(disk)))
        case "fsync" where target != nil:
            guard let batch = b.inFlight[id] else { return ["\(id): nothing at storage"] }
            show(id, "persisted #\(batch.id)", b.fsync(id))
        case "tick" where target != nil, "tick-all":
            let ids = verb == "tick" ? [id] : b.machines.keys.sorted()
            for _ in 0..<(verb == "tick" && args.count < 2 ? 1 : times) {
                for (n, actions) in b.tick(ids) { show(n, "tick at \(b.now) ms", actions, always: false) }
            }
        case "deliver", "drop":
            let ends = args.first?.split(separator: "-").map { NodeID(String($0.drop { $0 == ">" })) }
            if let ends, ends.count != 2 || ends.contains(nil) { return ["error: a link is written from->to"] }
            deliver(ends.map { ($0[0]!, $0[1]!) }, dropping: verb == "drop")
        case "stabilize":
            for _ in 0..<100 where !b.network.isEmpty || !b.inFlight.isEmpty {
                deliver(nil, dropping: false)
                for n in b.inFlight.keys.sorted() { show(n, "persisted #\(b.inFlight[n]!.id)", b.fsync(n)) }
            }
        case "propose" where target != nil, "read" where target != nil:
            guard let operation = Self.operation(verb, Array(args.dropFirst())) else { return ["error: cannot read \(command)"] }
            let request = nextRequest
            nextRequest += 1
            show(id, "request \(request) \(args.dropFirst().joined(separator: " "))", b.feed(id, .request(request, operation)))
        case "status":
            out += status(b)
        case "disk" where target != nil:
            out.append("\(id) disk: " + (b.disks[id].map(Self.describe) ?? "empty"))
        default:
            return ["error: cannot run \(command)"]
        }
        return out.isEmpty ? ["ok"] : out
    }

    static func operation(_ verb: String, _ words: [String]) -> ClientOperation? {
        switch (verb, words.first ?? "", words.count) {
        case ("propose", "put", 3): .put(key: words[1], value: Array(words[2].utf8))
        case ("propose", "delete", 2): .delete(key: words[1])
        case ("read", _, 1): .get(key: words[0], linearizable: true)
        default: nil
        }
    }

    func status(_ b: Bench) -> [String] {
        b.machines.keys.sorted().map { id in
            let m = b.machines[id]!
            guard let core = m.core else { return "\(id): not started" }
            let persisting = b.inFlight[id].map { " persisting=#\($0.id)" } ?? ""
            return "\(id): \(core.role.kind) term=\(core.term) last=\(core.log.lastIndex) commit=\(core.log.committed) applied=\(m.sm.appliedIndex)\(persisting)"
        }
    }

    // MARK: - Printed forms

    /// An action on one line; nil for those not printed.
    static func describe(_ action: NodeAction) -> String? {
        switch action {
        case .send(let m): "send " + GoldenScript.describe(m)
        case .load: "load"
        case .persist(let batch): "persist #\(batch.id)" + describe(batch.snapshot, batch.entries, batch.hardState)
        case .reply(let r): "reply \(r.id) \(r.status) " + describe(r.result)
        case .applied(let entry, _): "apply \(entry.index)/\(entry.term)"
        case .encodeSnapshot(let index, let term, _): "encode snapshot \(index)/\(term)"
        case .compact(let s): "compact \(s.metadata.index)/\(s.metadata.term)"
        case .leftCluster: "left the cluster"
        case .fail(let why): "fail: \(why)"
        case .publish, .announceMembers, .count, .log: nil
        }
    }

    static func describe(_ disk: PersistentState) -> String {
        String(describe(disk.snapshot, disk.entries, disk.hardState).dropFirst())
    }

    /// What a batch or a disk holds, in the order it is written.
    static func describe(_ snapshot: Snapshot?, _ entries: [Entry], _ hardState: HardState?) -> String {
        var s = ""
        if let snapshot { s += " snapshot=\(snapshot.metadata.index)/\(snapshot.metadata.term)" }
        if !entries.isEmpty { s += " entries=" + GoldenScript.describe(entries) }
        if let hs = hardState { s += " hardstate(term=\(hs.term) vote=\(hs.vote.map(String.init) ?? "-") commit=\(hs.commit))" }
        return s
    }

    static func describe(_ result: ClientResult) -> String {
        switch result {
        case .written(let revision, let index, let term): "written rev=\(revision) at=\(index)/\(term)"
        case .record(let r, let revision): "\(r.key)=\(String(decoding: r.value, as: UTF8.self)) mod=\(r.modRevision) rev=\(revision)"
        case .message(let text): "\"\(text)\""
        default: "\(result)"
        }
    }
}

extension Array {
    /// The elements that satisfy `belongs`, and the others, each in order.
    func partitioned(_ belongs: (Element) -> Bool) -> (matching: [Element], others: [Element]) {
        var matching: [Element] = []
        var others: [Element] = []
        for e in self {
            if belongs(e) { matching.append(e) } else { others.append(e) }
        }
        return (matching, others)
    }
}

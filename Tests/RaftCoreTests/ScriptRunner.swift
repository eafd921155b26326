import GoldenScripts
import RaftCore

/// Runs commented scenario scripts against a ``TestCluster`` and prints stable text, so that
/// a scenario's whole message flow is reviewed as a diff of its golden file.
///
/// A script is a sequence of blocks separated by blank lines: a command, a `----` line, and
/// the expected output (the format of ``GoldenScript``). `RAFT_REWRITE=1 swift test` rewrites the outputs.
///
/// Commands: `bootstrap <ids…> [prevote=false] [checkquorum=false]`, `campaign <id>`,
/// `propose <id> <text>`, `tick <id> [n]`, `tick-all [n]`, `process-ready`, `deliver`,
/// `stabilize`, `isolate <id>`, `heal`, `crash <id>`, `restart <id>`, `transfer <from> <to>`,
/// `read <id> <ctx>`, `stall <id>` (its disk finishes no write: a crash loses what it was
/// writing), `unstall <id>`, `status`. `bootstrap … bug=NAME` injects a defect of
/// ``InjectedDefects/named``.
struct ScriptRunner {
    var cluster: TestCluster?
    var isolated: Set<NodeID> = []

    mutating func deliverRound(_ c: inout TestCluster, _ out: inout [String]) {
        c.processAllReady()
        let batch = c.queue
        c.queue = []
        for m in batch {
            let dropped = c.down.contains(m.to) || isolated.contains(m.to) || isolated.contains(m.from)
            out.append((dropped ? "  dropped " : "  ") + GoldenScript.describe(m))
            if !dropped { c.nodes[m.to]?.step(m) }
        }
    }

    mutating func run(_ command: String) -> [String] {
        let words = command.split(separator: " ").map(String.init)
        var out: [String] = []
        guard let verb = words.first else { return out }
        let args = Array(words.dropFirst())
        func id(_ k: Int) -> NodeID { NodeID(args[k])! }
        if verb == "bootstrap" {
            let ids = args.compactMap { NodeID($0) }
            let preVote = !args.contains("prevote=false")
            let checkQuorum = !args.contains("checkquorum=false")
            let bugs = args.filter { $0.hasPrefix("bug=") }.map { $0.dropFirst(4) }
            var defects: InjectedDefects = []
            for b in bugs {
                guard let d = InjectedDefects.named.first(where: { $0.name == b }) else { return ["error: unknown bug \(b)"] }
                defects.insert(d.defect)
            }
            cluster = TestCluster(voters: ids) {
                $0.preVote = preVote
                $0.checkQuorum = checkQuorum
                $0.injectedDefects = defects
            }
            return ["ok"]
        }
        guard var c = cluster else { return ["error: bootstrap first"] }
        defer { cluster = c }
        switch verb {
        case "campaign":
            c[id(0)].campaign()
        case "propose":
            do {
                let r = try c[id(0)].propose(Array(args.dropFirst().joined(separator: " ").utf8))
                out.append("\(r)")
            } catch {
                out.append("refused: \(error)")
            }
        case "tick":
            c.tick(id(0), times: args.count > 1 ? Int(args[1])! : 1)
        case "tick-all":
            for n in c.nodes.keys.sorted() where !c.down.contains(n) { c.tick(n, times: args.isEmpty ? 1 : Int(args[0])!) }
        case "process-ready":
            c.processAllReady()
        case "deliver":
            deliverRound(&c, &out)
        case "stabilize":
            for _ in 0..<100 {
                let busy = !c.queue.isEmpty || c.nodes.keys.contains { !c.down.contains($0) && c.nodes[$0]!.hasReady }
                if !busy { break }
                deliverRound(&c, &out)
            }
        case "isolate":
            isolated.insert(id(0))
        case "heal":
            isolated = []
        case "crash":
            c.down.insert(id(0))
        case "stall":
            c.stalled.insert(id(0))
        case "unstall":
            c.unstall(id(0))
        case "restart":
            c.restart(id(0))
        case "transfer":
            c[id(0)].transferLeadership(to: id(1))
        case "read":
            do { try c[id(0)].readIndex(context: Array(args[1].utf8)) } catch { out.append("refused: \(error)") }
        case "status":
            for n in c.nodes.keys.sorted() {
                let r = c[n]
                let state = c.down.contains(n) ? "down" : "\(r.role.kind)"
                out.append("\(n): \(state) term=\(r.term) vote=\(r.vote.map(String.init) ?? "-") lead=\(r.leaderID.map(String.init) ?? "-") last=\(r.log.lastIndex) commit=\(r.log.committed) applied=\(c.appliedData(n).joined(separator: ","))\(c.readStates[n, default: []].isEmpty ? "" : " reads=\(c.readStates[n]!.map { "\(String(decoding: $0.context, as: UTF8.self))@\($0.index)" }.joined(separator: ","))")")
            }
        default:
            out.append("error: unknown command \(verb)")
        }
        return out.isEmpty ? ["ok"] : out
    }

    /// Runs a script file; returns (expected, actual) texts.
    static func check(file: String) throws -> (expected: String, actual: String) {
        var runner = ScriptRunner()
        return try GoldenScript.check(file: file) { runner.run($0) }
    }
}

import Foundation
import PGRaftBridge
import PGRaftClient
import PGRaftKit
import PGRaftPostgres

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The node's view of the cluster, as the core needs it.
extension BridgeLoop {
    /// The view from the segment's cluster state and the `pgraft/` records. A consensus that is not
    /// running (restarting, or gone) leads nothing: the view then names no leader, so a primary
    /// here is fenced rather than trusted on a state nobody keeps up to date.
    func clusterView() -> ClusterView {
        var state = (try? segment?.readClusterState()) ?? nil
        if !consensusRuns { state?.leaderId = 0 }
        let voters = state?.members.filter { $0.kind == .voter }.map(\.id).sorted() ?? []
        let all = state?.members.map(\.id).sorted() ?? []
        var view = ClusterView(
            term: state?.term ?? 0, leader: state?.leaderId ?? 0, voters: voters, members: all, topology: nil, topologyRevision: 0, reports: [:])
        // The first read goes through the leader (ReadIndex): a consensus that has just started
        // answers local reads from a state that has not caught up yet, and a data directory judged
        // on it (no topology: a new cluster) could be one of another cluster, started as a primary.
        // After that a local read, answered at once; short, so a slow one costs a tick. A read older
        // than one already seen (consensus restarted and replays its log) or a failed one leaves
        // the records last read standing: a view without them would take the safety checks that
        // rest on them (a foreign data directory, the recorded primary) away.
        // Older reads for long (the store itself was made anew) end with a read through the leader,
        // whose answer stands.
        let now = Self.nowMs()
        let linearizable = lastRecords == nil || olderReadsSinceMs.map { now - $0 >= 10 * settings.electionTimeoutMs } == true
        let reply = try? client.submit(.list(prefix: "pgraft/", linearizable: linearizable), timeout: .milliseconds(linearizable ? 2_000 : 500)).wait()
        let floor = linearizable ? 0 : lastRecords?.storeRevision ?? 0
        if let reply, reply.status == .ok, case .records(_, let revision) = reply.result, revision < floor {
            if olderReadsSinceMs == nil {
                olderReadsSinceMs = now
                logger.info("consensus answers from an older state (revision \(revision), seen \(floor)); keeping the records last read until it catches up")
            }
        } else if reply?.status == .ok {
            olderReadsSinceMs = nil
        }
        guard let reply, reply.status == .ok, case .records(let records, let revision) = reply.result, revision >= floor else {
            if let last = lastRecords {
                view.topology = last.topology
                view.topologyRevision = last.revision
                view.reports = last.reports
            }
            return view
        }
        for record in records {
            if record.key == Topology.key, let t = Topology(encoded: record.value) {
                view.topology = t
                view.topologyRevision = record.modRevision
            } else if record.key.hasPrefix(MemberReport.keyPrefix), let r = MemberReport(encoded: record.value) {
                view.reports[r.node] = r
            } else if record.key.hasPrefix(MemberStatus.keyPrefix), let s = MemberStatus(encoded: record.value) {
                if s.node == settings.node {
                    storedStatus = s
                } else if let address = Self.serverAddress(s.address) {
                    members.addresses[s.node] = address
                }
            }
        }
        lastRecords = (view.topology, view.topologyRevision, view.reports, revision)
        // A removed member's server is no longer admitted nor named.
        if !all.isEmpty { members.addresses = members.addresses.filter { all.contains($0.key) || $0.key == settings.node } }
        return view
    }

    /// Whether this node's consensus process runs and has said it is ready.
    var consensusRuns: Bool {
        guard let segment, let index = segment.componentIndex(named: "consensus") else { return segment == nil }
        let slot = segment.componentSlot(at: index)
        return slot.isReady && slot.readyPid > 0 && kill(slot.readyPid, 0) == 0
    }

    /// `host:port` as an address; nil when it is not one.
    static func serverAddress(_ text: String) -> ServerAddress? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : ServerAddress(host: host, port: port)
    }

    /// Lets the members' hosts replicate from this server when they change (pg_hba.conf, reload).
    func admitMembers() {
        let hosts = members.hosts
        guard hosts != admittedHosts, server.postmaster != nil else { return }
        do {
            try server.admit(members: members)
            admittedHosts = hosts
        } catch {
            logger.warning("could not admit the members' hosts \(hosts): \(error)")
        }
    }
}

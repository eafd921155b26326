import CShims
import Foundation
import Logging
import PGRaftBridge
import PGRaftClient
import PGRaftKit
import PGRaftPostgres

/// The bridge's shell: every tick it shows the bridge core the node's view of the cluster (the
/// segment's cluster state, the `pgraft/` records of the replicated key-value store) and what the
/// local server looks like, and performs what the core asks: operations on the server with
/// PGRaftPostgres, records through consensus, leadership transfers, the published status.
///
/// It runs on one thread of its own (the library blocks), so every member is confined to it.
final class BridgeLoop: @unchecked Sendable {
    let settings: BridgeSettings
    let server: PostgresServer
    let client: ConsensusClient
    let segment: SharedSegment?
    let logger: Logger
    /// Where the other members and clients reach this server.
    let address: ServerAddress
    /// How often the loop looks (ms).
    let tickMs: Int
    var core: BridgeCore
    /// Every member's server address, from their status records and this node's own.
    var members: MemberAddresses
    /// The status record last written, and when.
    var lastStatusRecord: MemberStatus?
    var lastStatusWriteMs: Int64 = .min / 2
    /// Since when every local read has been older than one already seen.
    var olderReadsSinceMs: Int64?
    /// This node's status record as the store last showed it.
    var storedStatus: MemberStatus?
    /// Whether the roles and passwords of the configuration were set since this server last became
    /// the writable primary (an operator may have changed a password), and when that was last tried.
    var rolesEnsured = false
    var rolesTriedMs: Int64 = .min / 2
    /// The hosts pg_hba.conf last admitted.
    var admittedHosts: [String] = []
    /// The status the core last published (shown again every tick).
    var lastPublished: BridgeStatus?
    /// The `pgraft/` records last read, kept for a tick whose read fails, with the key-value store's
    /// revision they were read at.
    var lastRecords: (topology: Topology?, revision: UInt64, reports: [UInt64: MemberReport], storeRevision: UInt64)?

    /// The answers to the core's writes, taken each tick.
    let writeAnswers = WriteAnswers()

    /// A status record is written again at least this often while the WAL moves (ms).
    static let statusRefreshMs: Int64 = 5_000

    init(
        settings: BridgeSettings, server: PostgresServer, client: ConsensusClient, segment: SharedSegment?, address: ServerAddress,
        tickMs: Int, logger: Logger
    ) {
        self.settings = settings
        self.server = server
        self.client = client
        self.segment = segment
        self.address = address
        self.tickMs = tickMs
        self.logger = logger
        core = BridgeCore(settings: settings)
        members = MemberAddresses([settings.node: address])
    }

    static func nowMs() -> Int64 { Int64(pgr_monotonic_ms()) }

    /// Ticks until `shouldStop` says so.
    func run(shouldStop: () -> Bool) {
        while !shouldStop() {
            let started = Self.nowMs()
            tick()
            let spent = Self.nowMs() - started
            if spent < Int64(tickMs) { usleep(useconds_t((Int64(tickMs) - spent) * 1_000)) }
        }
    }

    /// One look at the cluster and the server, and whatever the core asks for.
    func tick() {
        let view = clusterView()
        // Nothing is decided before the records have been read once through the leader; but a
        // primary is fenced meanwhile (fencing is always safe, and this node may be cut off).
        guard lastRecords != nil else {
            fencePrimary(because: "its bridge has not read the cluster's records yet")
            terminateWaitersIfFenced(server.observe(members: members))
            return
        }
        admitMembers()
        let observation = server.observe(members: members)
        terminateWaitersIfFenced(observation)
        feed([.cluster(view), .server(observation)] + writeAnswers.take() + [.tick])
        if let lastPublished { publishLocally(lastPublished) }
        rewriteLostStatus()
        ensureRolesOnPrimary()
    }

    /// Each time this server becomes the writable primary (and when a new bridge finds it one): the roles and passwords of the configuration
    /// (set at initdb, but an operator may have changed a password since). Committed locally: the
    /// next primary's bridge sets them again, and a wait for the standbys must not hold the loop.
    func ensureRolesOnPrimary() {
        let now = Self.nowMs()
        if lastPublished?.role != .primary { rolesEnsured = false }
        guard !rolesEnsured, lastPublished?.role == .primary, now - rolesTriedMs >= settings.electionTimeoutMs else { return }
        rolesTriedMs = now
        do {
            try server.ensureRoles(synchronousCommit: "local")
            rolesEnsured = true
        } catch {
            logger.warning("could not set the roles and passwords of the configuration: \(error)")
        }
    }

    /// On a fenced primary, ends every session waiting for its commit to be confirmed (each tick):
    /// a client that cancelled such a wait would be told COMMIT for a row no majority holds.
    func terminateWaitersIfFenced(_ observation: ServerObservation) {
        guard let running = observation.running, !running.inRecovery, running.synchronousStandbyNames == SynchronousStandbys.fence else { return }
        if let ended = try? server.terminateSynchronousWaiters(), ended > 0 {
            logger.warning("ended \(ended) session(s) waiting for a commit on the fenced primary")
        }
    }

    /// Feeds `events` in order, with the events each performed action brings back.
    func feed(_ events: [BridgeEvent]) {
        var queue = events[...]
        while let event = queue.popFirst() {
            for action in core.handle(event, now: Self.nowMs()) {
                queue.append(contentsOf: perform(action))
            }
        }
    }

    /// Performs one action; returns the events that report its outcome.
    func perform(_ action: BridgeAction) -> [BridgeEvent] {
        switch action {
        case .perform(let operation):
            logger.info("\(operation.summary)")
            let failure = run(operation)
            if let failure { logger.warning("\(operation.summary) failed: \(failure)") }
            return [.cluster(clusterView()), .performed(operation, failure: failure), .server(server.observe(members: members))]
        case .write(let record):
            submit(record)
            return []
        case .transferLeadership(let node):
            // The reply comes when the target leads; the loop goes on meanwhile and sees the change.
            _ = client.submit(.transferLeader(id: node), timeout: .seconds(5))
            return []
        case .publish(let status):
            publish(status)
            return []
        case .log(let level, let text):
            switch level {
            case .debug: logger.debug("\(text)")
            case .info: logger.info("\(text)")
            case .warning: logger.warning("\(text)")
            }
            return []
        }
    }
}

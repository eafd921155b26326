import Foundation
import PGRaftBridge
import PGRaftClient
import PGRaftKit
import PGRaftPostgres

/// What the core asks of the server and of the replicated state, performed.
extension BridgeLoop {
    /// Performs `operation` on the server; returns why it failed, nil when it succeeded.
    func run(_ operation: BridgeOperation) -> String? {
        do {
            switch operation {
            case .initdb:
                // The core starts the new server itself, fenced: initialize leaves it running.
                try server.initialize(members: members)
                try server.stop(.fast)
            case .baseBackup(let from):
                try server.baseBackup(from: try upstream(from), members: members)
            case .rewind(let from):
                try server.rewind(from: try upstream(from), members: members)
            case .reclone(let from):
                let source = try upstream(from)
                // Only when the source answers: moving the directory aside for a copy that cannot
                // be made would leave nothing in place.
                try server.checkReachable(source)
                let kept = try server.moveAside()
                logger.warning("the data directory could not be rewound: kept aside at \(kept); cloning anew from \(source)")
                try server.baseBackup(from: source, members: members)
            case .start(let standby, let from):
                if standby {
                    // A standby starts fenced too: whatever value it is promoted with later, its
                    // processes then only ever see a non-empty one, and a commit never finds
                    // synchronous replication off while the new value is still being read.
                    let role: ServerRole = try from.map { .standby(of: try upstream($0)) } ?? .detachedStandby
                    try server.start(as: role, members: members, synchronousStandbyNames: SynchronousStandbys.fence)
                } else {
                    // A primary always starts fenced: the core lifts the fence when its node may acknowledge.
                    try server.start(as: .primary, members: members, synchronousStandbyNames: SynchronousStandbys.fence)
                }
            case .stop:
                try server.stop(.fast)
            case .follow(let to):
                if let to { try server.follow(try upstream(to), members: members) } else { try server.detach(members: members) }
            case .promote:
                try server.promote()
            case .setSynchronousStandbys(let value):
                try server.setSynchronousStandbys(value)
            case .keepSlots(let nodes):
                _ = try server.ensureSlots(for: Set(nodes))
            case .markBranch(let branch):
                try server.markBranch(branch)
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Member `node`'s server as an upstream; throws when its address is not known yet.
    func upstream(_ node: UInt64) throws -> Upstream {
        guard let address = members.addresses[node] else {
            throw PostgresError(.state, "the address of node \(node)'s server is not known yet (it has recorded no status)")
        }
        return Upstream(node: node, address: address)
    }

    /// Sends `record` to consensus; its outcome is handed to the core on a later tick (see
    /// ``WriteAnswers``), so that a write waiting for a commit never holds the loop, which must
    /// keep fencing the primary meanwhile.
    func submit(_ record: BridgeWrite) {
        let operation: ClientOperation
        switch record {
        case .report(let r): operation = .put(key: MemberReport.key(of: r.node), value: r.encoded)
        case .topology(let t, let revision): operation = .compareAndSet(key: Topology.key, expectedRevision: revision, value: t.encoded)
        }
        let answers = writeAnswers
        let id = answers.begin()
        // Answered (or timed out) before the core gives the write up, so that an answer never
        // arrives for a write the core has already asked again.
        let timeout = Int64(max(1, BridgeCore.writeTimeoutFactor - 1) * settings.electionTimeoutMs)
        client.submit(operation, timeout: .milliseconds(timeout)).whenComplete { result in
            guard case .success(let reply) = result else { return answers.add(.written(record, revision: 0, failure: "no answer from consensus"), for: id) }
            switch (reply.status, reply.result) {
            case (.ok, .written(let revision, _, _)): answers.add(.written(record, revision: revision, failure: nil), for: id)
            case (.ok, .unchanged): answers.add(.written(record, revision: 0, failure: "the record changed meanwhile"), for: id)
            case (_, .message(let text)): answers.add(.written(record, revision: 0, failure: "\(reply.status): \(text)"), for: id)
            default: answers.add(.written(record, revision: 0, failure: "\(reply.status)"), for: id)
            }
        }
    }
}

/// The outcomes of the bridge's writes, as consensus answers them on its event loop, until the
/// loop's next tick takes them. Only the answer to the write sent last is kept: the core has one
/// write at a time, and an answer to an earlier one (given up on) must not pass for the new one's.
final class WriteAnswers: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [BridgeEvent] = []
    private var latest: UInt64 = 0

    /// Numbers a new write; answers to earlier ones are dropped from now on.
    func begin() -> UInt64 {
        lock.withLock {
            latest += 1
            events.removeAll()
            return latest
        }
    }

    /// Keeps the answer to write `id` if it is the latest.
    func add(_ event: BridgeEvent, for id: UInt64) {
        lock.withLock { if id == latest { events.append(event) } }
    }

    /// The outcomes so far, in the order they came; none are kept.
    func take() -> [BridgeEvent] {
        lock.withLock {
            defer { events.removeAll() }
            return events
        }
    }
}

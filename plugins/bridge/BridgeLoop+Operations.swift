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
                    let role: ServerRole = try from.map { .standby(of: try upstream($0)) } ?? .detachedStandby
                    try server.start(as: role, members: members)
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

    /// Writes `record` through consensus; returns the key-value revision it was committed at, or
    /// why it was not recorded.
    func write(_ record: BridgeWrite) -> (revision: UInt64, failure: String?) {
        let operation: ClientOperation
        switch record {
        case .report(let r): operation = .put(key: MemberReport.key(of: r.node), value: r.encoded)
        case .topology(let t, let revision): operation = .compareAndSet(key: Topology.key, expectedRevision: revision, value: t.encoded)
        }
        guard let reply = try? client.submit(operation).wait() else { return (0, "no answer from consensus") }
        switch (reply.status, reply.result) {
        case (.ok, .written(let revision, _, _)): return (revision, nil)
        case (.ok, .unchanged): return (0, "the record changed meanwhile")
        case (_, .message(let text)): return (0, "\(reply.status): \(text)")
        default: return (0, "\(reply.status)")
        }
    }
}

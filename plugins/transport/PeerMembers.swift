import Foundation
import Logging
import NIOCore
import PGRaftKit

/// The members this transport connects: from the configuration at start, then as consensus
/// announces them (`HubFrameType.members`) when nodes are added or removed. It keeps one dialer per
/// member with a higher id and tells accepted connections whom to welcome: until consensus
/// announces the membership, any node of this cluster, since a node waiting to be added, or one
/// restarted before it holds the membership, cannot tell a member its configuration does not list
/// from a stranger, and refusing a member there could leave it deaf to its leader. Dialers change
/// on the table's loop; the accepted set is read from any loop, under a lock.
final class PeerMembers: @unchecked Sendable {
    private let ownId: UInt64
    private let makeDialer: (Member) -> PeerDialer
    private let table: PeerTable
    private let loop: EventLoop
    private let logger: Logger
    private let lock = NSLock()
    private var accepted: Set<UInt64>?
    private var dialers: [UInt64: (address: String, dialer: PeerDialer)] = [:]
    private var configured: [Member]
    private var hosts: [UInt64: String] = [:]

    /// Members from the configuration; `makeDialer` builds a dialer for one.
    init(
        configured: [Member], ownId: UInt64, table: PeerTable, loop: EventLoop, logger: Logger,
        makeDialer: @escaping (Member) -> PeerDialer
    ) {
        self.ownId = ownId
        self.table = table
        self.configured = configured
        self.loop = loop
        self.logger = logger
        self.makeDialer = makeDialer
    }

    /// Whose greetings to accept; nil, any node of this cluster, until consensus announces the members.
    var acceptedIds: Set<UInt64>? { lock.withLock { accepted } }

    /// The host of member `id`'s address, when known (for the TLS identity check).
    func host(of id: UInt64) -> String? { lock.withLock { hosts[id] } }

    /// Starts dialling the configured members.
    func start() {
        loop.execute { self.apply(self.configured) }
    }

    /// Stops every dialer.
    func stop() {
        loop.execute {
            self.dialers.values.forEach { $0.dialer.stop() }
            self.dialers.removeAll()
        }
    }

    /// Consensus announced the membership. An empty list (a node still waiting to be added) keeps
    /// the configured members.
    func announced(_ list: HubMemberList) {
        var members: [Member] = []
        var ids: Set<UInt64> = []
        for (id, address) in list.members where id <= UInt64(Int32.max) {
            // A member whose address is not known yet is still a member: welcome it, dial it later.
            ids.insert(id)
            if let member = Member(id: Int(id), address: address) {
                members.append(member)
            } else if !address.isEmpty {
                logger.warning("consensus announced member \(id) with an invalid address \"\(address)\"; it is not dialled")
            }
        }
        guard !ids.isEmpty else { return }
        let announced = members
        let accepting = ids
        loop.execute { self.apply(announced, accepting: accepting) }
    }

    /// Dials the members with higher ids and keeps only the members' connections; `accepting`
    /// (from an announcement) also says whose greetings to accept.
    private func apply(_ members: [Member], accepting: Set<UInt64>? = nil) {
        lock.withLock { for member in members { hosts[UInt64(member.id)] = member.host } }
        if let ids = accepting {
            lock.withLock { accepted = ids }
            table.keepOnly(ids)
        }
        let wanted = members.filter { UInt64($0.id) > ownId }
        for (id, entry) in dialers where !wanted.contains(where: { UInt64($0.id) == id && $0.address == entry.address }) {
            logger.info("no longer dialling peer \(id) at \(entry.address)")
            entry.dialer.stop()
            dialers[id] = nil
        }
        for member in wanted where dialers[UInt64(member.id)] == nil {
            let dialer = makeDialer(member)
            dialers[UInt64(member.id)] = (member.address, dialer)
            dialer.start()
        }
    }
}

/// The cluster state: one `SeqLatch` record (two copies) written by consensus, read by everyone.
///
/// Readers never see a torn record, and a consensus killed mid-publish leaves readers the previous
/// complete state (the copy being written is never the one readers are sent to); the restarted
/// consensus simply publishes again. The only way a read fails is a writer publishing continuously
/// faster than the reader can copy, and then `readClusterState()` throws after a bounded retry
/// rather than spin forever.
extension SharedSegment {
    var clusterLatch: SeqLatch {
        SeqLatch(base: pointer(.clusterState), recordSize: SegmentSection.ClusterRecord.recordSize(maxMembers: layout.maxMembers))
    }

    /// Publishes `state` as one record.
    ///
    /// - Throws: `SegmentError.tooManyMembers` or `.fieldTooLong` (a member address over 64 bytes); the
    ///   published state is then unchanged.
    /// - Important: writer: consensus only, from one thread.
    public func publishClusterState(_ state: ClusterStateSnapshot) throws(SegmentError) {
        typealias F = SegmentSection.ClusterRecord
        guard state.members.count <= layout.maxMembers else {
            throw .tooManyMembers(count: state.members.count, limit: layout.maxMembers)
        }
        var addresses: [[UInt8]] = []
        for member in state.members {
            guard let bytes = SegmentMemory.exactBytes(member.address, capacity: F.addressCapacity) else {
                throw .fieldTooLong(field: "address of member \(member.id)", length: member.address.utf8.count, limit: F.addressCapacity)
            }
            addresses.append(bytes)
        }
        clusterLatch.write { record in
            record.storeBytes(of: state.term, toByteOffset: F.term, as: UInt64.self)
            record.storeBytes(of: state.leaderId, toByteOffset: F.leaderId, as: UInt64.self)
            record.storeBytes(of: state.role.rawValue, toByteOffset: F.role, as: UInt32.self)
            record.storeBytes(of: UInt32(state.members.count), toByteOffset: F.memberCount, as: UInt32.self)
            record.storeBytes(of: state.commitIndex, toByteOffset: F.commitIndex, as: UInt64.self)
            record.storeBytes(of: state.appliedIndex, toByteOffset: F.appliedIndex, as: UInt64.self)
            record.storeBytes(of: state.lastIndex, toByteOffset: F.lastIndex, as: UInt64.self)
            record.storeBytes(of: state.snapshotIndex, toByteOffset: F.snapshotIndex, as: UInt64.self)
            for (index, member) in state.members.enumerated() {
                let slot = record + F.membersOffset + index * F.memberStride
                slot.storeBytes(of: member.id, toByteOffset: F.memberId, as: UInt64.self)
                slot.storeBytes(of: member.kind.rawValue, toByteOffset: F.memberKind, as: UInt32.self)
                slot.storeBytes(of: member.matchIndex, toByteOffset: F.memberMatchIndex, as: UInt64.self)
                slot.storeBytes(of: member.nextIndex, toByteOffset: F.memberNextIndex, as: UInt64.self)
                slot.storeBytes(of: member.lastContactMs, toByteOffset: F.memberLastContactMs, as: UInt64.self)
                SegmentMemory.writeFixed(addresses[index], to: slot + F.memberAddress, capacity: F.addressCapacity)
            }
        }
    }

    /// The last cluster state consensus published completely (the zero state before its first publish).
    ///
    /// - Throws: `SegmentError.readContention` if no consistent copy could be taken within the bounded
    ///   retry (about a second), which needs a writer publishing without pause; a crashed writer never
    ///   causes it.
    public func readClusterState() throws(SegmentError) -> ClusterStateSnapshot {
        let maxMembers = layout.maxMembers
        guard let state = clusterLatch.read({ SharedSegment.decodeClusterState($0, maxMembers: maxMembers) }) else {
            throw .readContention(name: name, section: SegmentSection.clusterState.name)
        }
        return state
    }

    /// Decodes a record copy. Never traps on any bytes (a copy being rewritten decodes to garbage that
    /// the latch then discards): the member count is clamped, unknown enum values fall back.
    private static func decodeClusterState(_ record: UnsafeRawPointer, maxMembers: Int) -> ClusterStateSnapshot {
        typealias F = SegmentSection.ClusterRecord
        let count = min(Int(record.load(fromByteOffset: F.memberCount, as: UInt32.self)), maxMembers)
        var members: [ClusterMember] = []
        members.reserveCapacity(count)
        for index in 0..<count {
            let slot = record + F.membersOffset + index * F.memberStride
            members.append(
                ClusterMember(
                    id: slot.load(fromByteOffset: F.memberId, as: UInt64.self),
                    address: SegmentMemory.readFixed(slot + F.memberAddress, capacity: F.addressCapacity),
                    kind: ClusterMember.Kind(rawValue: slot.load(fromByteOffset: F.memberKind, as: UInt32.self)) ?? .voter,
                    matchIndex: slot.load(fromByteOffset: F.memberMatchIndex, as: UInt64.self),
                    nextIndex: slot.load(fromByteOffset: F.memberNextIndex, as: UInt64.self),
                    lastContactMs: slot.load(fromByteOffset: F.memberLastContactMs, as: UInt64.self)))
        }
        return ClusterStateSnapshot(
            term: record.load(fromByteOffset: F.term, as: UInt64.self),
            leaderId: record.load(fromByteOffset: F.leaderId, as: UInt64.self),
            role: NodeRole(rawValue: record.load(fromByteOffset: F.role, as: UInt32.self)) ?? .follower,
            commitIndex: record.load(fromByteOffset: F.commitIndex, as: UInt64.self),
            appliedIndex: record.load(fromByteOffset: F.appliedIndex, as: UInt64.self),
            lastIndex: record.load(fromByteOffset: F.lastIndex, as: UInt64.self),
            snapshotIndex: record.load(fromByteOffset: F.snapshotIndex, as: UInt64.self),
            members: members)
    }
}

import CShims

/// Command statuses: `statusCapacity` slots, the status of command `id` in slot `id % statusCapacity`,
/// each slot a `SeqLatch` record that names its command id, so a reader asking for an id whose slot a
/// newer command took gets nil rather than someone else's status. Writer: consensus.
extension SharedSegment {
    private func statusLatch(id: UInt64) -> SeqLatch {
        let slot = Int(id % UInt64(layout.statusCapacity))
        return SeqLatch(
            base: pointer(.commandStatus) + slot * SegmentSection.StatusRecord.slotStride,
            recordSize: SegmentSection.StatusRecord.size)
    }

    /// Publishes the status of command `id`.
    ///
    /// `completedAtMs` defaults to now for a final status (completed, failed) and to 0 otherwise. An
    /// error message longer than 256 bytes is truncated.
    /// - Returns: false (and changes nothing) when `id` is 0 or its slot already holds a newer command.
    /// - Important: writer: consensus only, from one thread.
    @discardableResult
    public func setCommandStatus(
        id: UInt64, status: CommandStatus, errorMessage: String = "", resultIndex: UInt64 = 0, resultTerm: UInt64 = 0,
        completedAtMs: UInt64? = nil
    ) -> Bool {
        typealias F = SegmentSection.StatusRecord
        guard id != 0 else { return false }
        let latch = statusLatch(id: id)
        let current = latch.readAsWriter { $0.load(fromByteOffset: F.id, as: UInt64.self) }
        guard current <= id else { return false }
        let message = SegmentMemory.truncatedBytes(errorMessage, capacity: F.errorCapacity)
        let completed = completedAtMs ?? (status.isFinal ? UInt64(max(0, pgr_wall_ms())) : 0)
        latch.write { record in
            record.storeBytes(of: id, toByteOffset: F.id, as: UInt64.self)
            record.storeBytes(of: status.rawValue, toByteOffset: F.status, as: UInt32.self)
            record.storeBytes(of: resultIndex, toByteOffset: F.resultIndex, as: UInt64.self)
            record.storeBytes(of: resultTerm, toByteOffset: F.resultTerm, as: UInt64.self)
            record.storeBytes(of: completed, toByteOffset: F.completedAtMs, as: UInt64.self)
            SegmentMemory.writeFixed(message, to: record + F.errorMessage, capacity: F.errorCapacity)
        }
        return true
    }

    /// Publishes `record`; see `setCommandStatus(id:status:errorMessage:resultIndex:resultTerm:completedAtMs:)`.
    @discardableResult
    public func setCommandStatus(_ record: CommandStatusRecord) -> Bool {
        setCommandStatus(
            id: record.id, status: record.status, errorMessage: record.errorMessage, resultIndex: record.resultIndex,
            resultTerm: record.resultTerm, completedAtMs: record.completedAtMs)
    }

    /// The last published status of command `id`; nil when consensus has not published one yet, or when
    /// a newer command has taken its slot (the status expired).
    public func commandStatus(id: UInt64) -> CommandStatusRecord? {
        typealias F = SegmentSection.StatusRecord
        guard id != 0 else { return nil }
        // Consensus writes a slot a handful of times per command, so the bounded retry cannot run out
        // in practice; if it did, the status reads as not available yet.
        let record: CommandStatusRecord?? = statusLatch(id: id).read { record in
            guard record.load(fromByteOffset: F.id, as: UInt64.self) == id,
                let status = CommandStatus(rawValue: record.load(fromByteOffset: F.status, as: UInt32.self))
            else { return nil }
            return CommandStatusRecord(
                id: id, status: status,
                errorMessage: SegmentMemory.readFixed(record + F.errorMessage, capacity: F.errorCapacity),
                resultIndex: record.load(fromByteOffset: F.resultIndex, as: UInt64.self),
                resultTerm: record.load(fromByteOffset: F.resultTerm, as: UInt64.self),
                completedAtMs: record.load(fromByteOffset: F.completedAtMs, as: UInt64.self))
        }
        return record ?? nil
    }
}

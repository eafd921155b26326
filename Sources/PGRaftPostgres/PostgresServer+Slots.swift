import PGRaftBridge

extension PostgresServer {
    /// Makes sure this server has a physical replication slot, named `MemberNaming.name(of:)`, for
    /// each of `members` but this node (reserving WAL from now on), and drops the pgraft slots of
    /// nodes that are no longer members. Slots not named by pgraft are left alone. Run it on the
    /// primary, and on any standby others stream from (cascading).
    @discardableResult
    public func ensureSlots(for members: Set<UInt64>) throws -> SlotChanges {
        let wanted = members.subtracting([spec.nodeID])
        let changes = try withConnection { connection in
            var changes = SlotChanges()
            let existing = try connection.query("SELECT slot_name, active FROM pg_replication_slots WHERE slot_type = 'physical'")
            var present: Set<UInt64> = []
            for slot in existing {
                guard let name = slot[0], let node = MemberNaming.node(named: name) else { continue }
                present.insert(node)
                guard !wanted.contains(node) else { continue }
                if slot[1] == "t" {
                    changes.inUse.append(node)
                    continue
                }
                try connection.query("SELECT pg_drop_replication_slot($1)", [name])
                changes.dropped.append(node)
            }
            for node in wanted.subtracting(present).sorted() {
                try connection.query("SELECT pg_create_physical_replication_slot($1, true)", [MemberNaming.name(of: node)])
                changes.created.append(node)
            }
            changes.dropped.sort()
            changes.inUse.sort()
            return changes
        }
        if changes != SlotChanges() {
            logger.info(
                "replication slots changed",
                metadata: ["created": "\(changes.created)", "dropped": "\(changes.dropped)", "in_use": "\(changes.inUse)"])
        }
        return changes
    }

    /// Sets `synchronous_standby_names` in `pgraft.conf`, reloads, and returns when the server
    /// reports the new value. A server that still reports another value when the start timeout has
    /// passed (an `ALTER SYSTEM` of the parameter overrides pgraft's file) is an error.
    public func setSynchronousStandbys(_ expected: String) throws {
        try writeConfiguration(standby: nil, synchronousStandbyNames: expected, members: nil)
        try reload()
        try waitUntil(timeoutMs: spec.startTimeoutMs, "the server did not take synchronous_standby_names = '\(expected)'") {
            try synchronousStandbyNames() == expected
        }
        logger.info("synchronous standbys set", metadata: ["synchronous_standby_names": "\(expected.isEmpty ? "off" : expected)"])
    }

    /// Ends the sessions whose commit waits for synchronous standbys, and returns how many. A commit
    /// waiting on a fenced primary must never be confirmed: a client that cancels the wait would
    /// be told COMMIT (the row is committed locally), so the session is terminated instead, and
    /// its client sees the connection fail.
    @discardableResult
    public func terminateSynchronousWaiters() throws -> Int {
        try withConnection {
            try $0.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep'").count
        }
    }

    /// The `synchronous_standby_names` the running server has in force.
    public func synchronousStandbyNames() throws -> String {
        try withConnection { try $0.query("SELECT current_setting('synchronous_standby_names')").first?.first ?? nil } ?? ""
    }
}

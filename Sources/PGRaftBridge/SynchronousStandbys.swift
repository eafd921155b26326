/// The `synchronous_standby_names` the bridge sets: the quorum that makes a commit safe, or the fence
/// that makes a primary acknowledge nothing.
public enum SynchronousStandbys {
    /// A name no standby ever has: waiting for it, every commit waits, so a primary set to it
    /// acknowledges nothing (the fence). A reload sets it in milliseconds, without stopping the
    /// server, so a primary whose node leads again resumes with no failover.
    public static let fence = "pgraft_fenced"

    /// The value for a primary on `node` with these `voters` and other `members` (learners) in
    /// `mode`: `ANY k (…)` naming every other member, or "" (asynchronous).
    ///
    /// With `quorum`, k is the number of others less the voter failures Raft tolerates
    /// (⌊(voters − 1) / 2⌋): without learners the primary and k standbys are a majority of the
    /// voters; with learners (which stream too, and are named so that a membership change, adding or
    /// removing a voter or replacing one in a joint configuration, never leaves an acknowledged
    /// commit outside a majority of the new voters) a commit may miss at most that many others, so
    /// it is on ⌈c / 2⌉ voters of any configuration c that differs from the current one by a node.
    /// `strict` needs every other member.
    public static func value(mode: SynchronousMode, node: UInt64, voters: [UInt64], members: [UInt64]) -> String {
        let others = Set(voters + members).subtracting([node]).sorted()
        let needed: Int
        switch mode {
        case .off: return ""
        case .quorum: needed = others.count - (voters.count - 1) / 2
        case .strict: needed = others.count
        }
        guard needed > 0, !others.isEmpty else { return "" }
        return "ANY \(needed) (" + others.map(MemberNaming.name(of:)).joined(separator: ", ") + ")"
    }
}

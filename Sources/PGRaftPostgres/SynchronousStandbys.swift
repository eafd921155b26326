import PGRaftBridge

/// The value of `synchronous_standby_names` pgraft sets: quorum commit over members' servers, named
/// as their WAL receivers name themselves (`MemberNaming.name(of:)`).
public struct SynchronousStandbys: Sendable, Hashable, CustomStringConvertible {
    /// How many of ``members`` must confirm a commit (0: asynchronous, the setting is empty).
    public var count: Int
    /// The members that may confirm, in the order they are listed.
    public var members: [UInt64]

    /// Commits wait for `count` of `members`; `count` 0 or no member means asynchronous.
    public init(count: Int, of members: [UInt64]) {
        self.count = count
        self.members = members
    }

    /// No synchronous standby: commits return once flushed locally.
    public static let none = SynchronousStandbys(count: 0, of: [])

    /// The setting's text: `ANY k (pgraft_node_2, pgraft_node_3)`, or empty for ``none``.
    public var settingValue: String {
        guard count > 0, !members.isEmpty else { return "" }
        return "ANY \(count) (" + members.map { MemberNaming.name(of: $0) }.joined(separator: ", ") + ")"
    }

    /// ``settingValue``, or `off` when it is empty.
    public var description: String { settingValue.isEmpty ? "off" : settingValue }
}

import PGRaftBytes

/// A membership change proposed through the log.
///
/// One change of at most one voter with `.auto` transition is applied directly ("one
/// server at a time", §4.1). Anything else enters a joint configuration (§4.3); with
/// `.auto` the leader leaves it on its own once it is applied, with `.explicit` the
/// application proposes an empty `ConfChange` to leave it.
public struct ConfChange: Sendable, Equatable {
    /// What happens to one member.
    public enum Operation: UInt8, Sendable, Equatable {
        /// Make the node a voter (promoting a learner, or adding a new server).
        case addVoter = 0
        /// Make the node a learner (adding it, or demoting a voter).
        case addLearner = 1
        /// Remove the node from the group.
        case removeNode = 2
    }

    /// How a change moves through joint consensus.
    public enum Transition: UInt8, Sendable, Equatable {
        /// Simple if possible, otherwise joint with an automatic leave.
        case auto = 0
        /// Always joint; the application leaves it with an empty change.
        case explicit = 1
    }

    /// One operation on one node.
    public struct Single: Sendable, Equatable {
        /// The operation.
        public var operation: Operation
        /// The node it applies to.
        public var node: NodeID

        /// Creates a single change.
        public init(_ operation: Operation, _ node: NodeID) {
            self.operation = operation
            self.node = node
        }
    }

    /// The operations; empty means "leave the joint configuration".
    public var changes: [Single]
    /// How to transition.
    public var transition: Transition

    /// Creates a change.
    public init(_ changes: [Single], transition: Transition = .auto) {
        self.changes = changes
        self.transition = transition
    }

    /// The change that leaves a joint configuration.
    public static let leaveJoint = ConfChange([])

    /// Whether this change leaves a joint configuration.
    public var isLeaveJoint: Bool { changes.isEmpty }

    /// Whether it can be applied without a joint configuration.
    public var isSimple: Bool { transition == .auto && changes.count <= 1 }

    /// The deterministic byte encoding stored in a `.confChange` entry.
    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u8(transition.rawValue)
        w.u32(UInt32(changes.count))
        for c in changes {
            w.u8(c.operation.rawValue)
            w.u64(c.node)
        }
        return w.bytes
    }

    /// Decodes ``encode()``'s output; nil if the bytes are malformed.
    public static func decode(_ bytes: [UInt8]) -> ConfChange? {
        var r = ByteReader(bytes)
        guard let change = try? read(from: &r, total: bytes.count), r.isAtEnd else { return nil }
        return change
    }

    private static func read(from r: inout ByteReader, total: Int) throws(ByteDecodeError) -> ConfChange? {
        guard let transition = Transition(rawValue: try r.u8()) else { return nil }
        let n = try r.u32()
        guard Int(n) <= total else { return nil }
        var changes: [Single] = []
        for _ in 0..<n {
            guard let op = Operation(rawValue: try r.u8()) else { return nil }
            changes.append(Single(op, try r.u64()))
        }
        return ConfChange(changes, transition: transition)
    }
}

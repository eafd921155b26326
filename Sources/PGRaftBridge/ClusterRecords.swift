/// Which server is the primary, as the replicated state records it (key ``key``): a leader commits
/// "primary = me, term T" before it promotes, and a server accepts writes only while its node leads
/// and this record names it for the current term.
///
/// Stored as one line of `name=value` words, so that `pgraftctl kv get pgraft/topology` reads well:
/// `primary=2 term=7 timeline=3 branch=6 system_identifier=7312078226453216361 start=0/3000060 parent=4`.
public struct Topology: Sendable, Equatable {
    /// The key-value key of the record. The `pgraft/` prefix is reserved for the bridges.
    public static let key = "pgraft/topology"

    /// The node whose server is (or is being made) the primary.
    public var primary: UInt64
    /// The Raft term in which that node leads.
    public var term: UInt64
    /// The primary's timeline (before a promotion completes, the one it is promoted from).
    public var timeline: UInt32
    /// The term of the promotion (or bootstrap) that began the primary's history: every server
    /// whose WAL is a prefix of the primary's is on this branch (see ``MemberReport/branch``).
    public var branch: UInt64
    /// The database system identifier of the cluster's servers: a data directory with another one
    /// is refused, never joined.
    public var systemIdentifier: UInt64
    /// Where the branch begins: the WAL position the primary held when it was chosen. A server of
    /// the branch the primary came from (``parentBranch``) that holds no more than this is a prefix
    /// of the primary's history; one that streams from the primary is on the branch only once it
    /// holds at least this much.
    public var branchStart: WALPosition
    /// The branch the primary's history was on when it was chosen (0: none, a new cluster).
    public var parentBranch: UInt64

    /// A record.
    public init(
        primary: UInt64, term: UInt64, timeline: UInt32, branch: UInt64, systemIdentifier: UInt64, branchStart: WALPosition = .zero,
        parentBranch: UInt64 = 0
    ) {
        self.primary = primary
        self.term = term
        self.timeline = timeline
        self.branch = branch
        self.systemIdentifier = systemIdentifier
        self.branchStart = branchStart
        self.parentBranch = parentBranch
    }

    /// The stored form.
    public var encoded: [UInt8] {
        Array(
            "primary=\(primary) term=\(term) timeline=\(timeline) branch=\(branch) system_identifier=\(systemIdentifier) start=\(branchStart) parent=\(parentBranch)"
                .utf8)
    }

    /// Reads the stored form; nil when the bytes are not one. `start` and `parent` may be absent
    /// (a record of an earlier version): the branch then begins at 0/0 on no parent.
    public init?(encoded bytes: [UInt8]) {
        guard let words = RecordWords(bytes), let primary = words.u64("primary"), let term = words.u64("term"),
            let timeline = words.u64("timeline").flatMap(UInt32.init(exactly:)), let branch = words.u64("branch"),
            let system = words.u64("system_identifier")
        else { return nil }
        let start = words["start"].map { WALPosition(text: $0) } ?? .some(.zero)
        let parent = words["parent"].map { UInt64($0) } ?? .some(0)
        guard let start, let parent else { return nil }
        self.init(primary: primary, term: term, timeline: timeline, branch: branch, systemIdentifier: system, branchStart: start, parentBranch: parent)
    }

    /// The same record renewed by its primary's node for `term`, on `timeline`: the same branch.
    public func renewed(term: UInt64, timeline: UInt32) -> Topology {
        var t = self
        t.term = term
        t.timeline = timeline
        return t
    }

    /// Whether a server on `branch` holding `position` has a history that is a prefix of the
    /// primary's, as far as the record can tell: on the primary's branch, or on the branch it came
    /// from and no further than where it began. (Not knowing is not divergence: an older branch may
    /// still be a prefix; only a rewind against the primary finds out.)
    public func isPrefix(branch: UInt64, position: WALPosition) -> Bool {
        branch == self.branch || (branch == parentBranch && position <= branchStart)
    }
}

/// What a member's bridge tells the others (key ``key(of:)``): where its server listens, and, for the
/// term it names, the WAL position it holds once it stopped serving any other primary. A new leader
/// promotes only when no report of a majority of the voters for its term is ahead of its own.
///
/// Reports go through the replicated log, like the topology: a leader decides on committed facts,
/// and the simulator proves the exchange with no channel of its own; it costs one entry per member
/// per term change.
public struct MemberReport: Sendable, Equatable {
    /// The key-value key of `node`'s report.
    public static func key(of node: UInt64) -> String { "pgraft/member/\(node)" }

    /// The prefix of every report's key.
    public static let keyPrefix = "pgraft/member/"

    /// What the member's server is, as it reports.
    public enum ServerRole: String, Sendable, Equatable {
        /// A primary (fenced: it acknowledges nothing until its node leads again).
        case primary
        /// A standby that no longer streams from any server but the reporter's leader.
        case standby
        /// No server: the data directory is empty (it holds nothing, so a majority that counts
        /// it still finds every acknowledged commit on its other members).
        case none
    }

    /// The member.
    public var node: UInt64
    /// The term the report is for.
    public var term: UInt64
    /// The server's role when it reported.
    public var role: ServerRole
    /// Its timeline (shown; not compared: two promotions on different branches can make the same one).
    public var timeline: UInt32
    /// The branch its WAL is on: the term of the promotion that began the history it is a prefix
    /// of. A later branch is a later choice of primary; an acknowledged commit is only ever on the
    /// branch of the primary recorded when it was acknowledged.
    public var branch: UInt64
    /// The WAL it holds (flushed).
    public var position: WALPosition

    /// A report.
    public init(node: UInt64, term: UInt64, role: ServerRole, timeline: UInt32, branch: UInt64, position: WALPosition) {
        self.node = node
        self.term = term
        self.role = role
        self.timeline = timeline
        self.branch = branch
        self.position = position
    }

    /// Whether this report's history is ahead of `other`'s: a later branch, or the same one further on.
    public func isAhead(of other: MemberReport) -> Bool {
        (branch, position.value) > (other.branch, other.position.value)
    }

    /// The stored form: `node=2 term=7 role=standby timeline=3 branch=6 position=0/3000060`.
    public var encoded: [UInt8] {
        Array("node=\(node) term=\(term) role=\(role.rawValue) timeline=\(timeline) branch=\(branch) position=\(position)".utf8)
    }

    /// Reads the stored form; nil when the bytes are not one.
    public init?(encoded bytes: [UInt8]) {
        guard let words = RecordWords(bytes), let node = words.u64("node"), let term = words.u64("term"),
            let role = words["role"].flatMap(ServerRole.init(rawValue:)),
            let timeline = words.u64("timeline").flatMap(UInt32.init(exactly:)), let branch = words.u64("branch"),
            let position = words["position"].flatMap(WALPosition.init(text:))
        else { return nil }
        self.init(node: node, term: term, role: role, timeline: timeline, branch: branch, position: position)
    }
}

/// The `name=value` words of a stored record, each name once.
struct RecordWords {
    private var values: [String: String] = [:]

    init?(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        for word in text.split(separator: " ") {
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, values[String(parts[0])] == nil else { return nil }
            values[String(parts[0])] = String(parts[1])
        }
    }

    subscript(name: String) -> String? { values[name] }

    func u64(_ name: String) -> UInt64? { values[name].flatMap { UInt64($0) } }
}

/// What a member's server looks like, as its bridge last recorded it (key ``key(of:)``): the table
/// `pgraftctl list` prints and `/v1/cluster` shows for members other than the one asked. A bridge
/// writes it when its role, timeline or upstream changes, and every few seconds while its WAL moves.
///
/// Stored as words: `node=2 role=standby address=10.0.0.2:5432 timeline=3 flushed=0/3000060
/// replayed=0/3000060 upstream=1 at=1765120000123` (`at`: the writer's wall clock, ms since 1970).
public struct MemberStatus: Sendable, Equatable {
    /// The key-value key of `node`'s status.
    public static func key(of node: UInt64) -> String { "pgraft/status/\(node)" }

    /// The prefix of every status key.
    public static let keyPrefix = "pgraft/status/"

    /// The member.
    public var node: UInt64
    /// Its server's role.
    public var role: BridgeStatus.Role
    /// Where the other members and clients reach its server (`host:port`).
    public var address: String
    /// Its timeline (0: unknown).
    public var timeline: UInt32
    /// The WAL it holds.
    public var flushed: WALPosition
    /// The WAL it replayed (a standby), or `flushed` (a primary).
    public var replayed: WALPosition
    /// The member it streams from (0: none).
    public var upstream: UInt64
    /// When it was written, by the writer's wall clock (ms since 1970).
    public var writtenAtMs: UInt64

    /// A status.
    public init(
        node: UInt64, role: BridgeStatus.Role, address: String, timeline: UInt32, flushed: WALPosition, replayed: WALPosition, upstream: UInt64,
        writtenAtMs: UInt64
    ) {
        self.node = node
        self.role = role
        self.address = address
        self.timeline = timeline
        self.flushed = flushed
        self.replayed = replayed
        self.upstream = upstream
        self.writtenAtMs = writtenAtMs
    }

    /// The stored form.
    public var encoded: [UInt8] {
        Array(
            "node=\(node) role=\(role.rawValue) address=\(address) timeline=\(timeline) flushed=\(flushed) replayed=\(replayed) upstream=\(upstream) at=\(writtenAtMs)"
                .utf8)
    }

    /// Reads the stored form; nil when the bytes are not one (an address with a space is not).
    public init?(encoded bytes: [UInt8]) {
        guard let words = RecordWords(bytes), let node = words.u64("node"), let role = words["role"].flatMap(BridgeStatus.Role.init(rawValue:)),
            let address = words["address"], let timeline = words.u64("timeline").flatMap(UInt32.init(exactly:)),
            let flushed = words["flushed"].flatMap(WALPosition.init(text:)), let replayed = words["replayed"].flatMap(WALPosition.init(text:)),
            let upstream = words.u64("upstream"), let at = words.u64("at")
        else { return nil }
        self.init(node: node, role: role, address: address, timeline: timeline, flushed: flushed, replayed: replayed, upstream: upstream, writtenAtMs: at)
    }
}

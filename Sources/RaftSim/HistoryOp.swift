import RaftCore

/// One client operation of the history checked for linearizability.
public struct HistoryOp: Sendable {
    public enum Kind: Equatable, Sendable {
        case put(key: String, value: [UInt8])
        case delete(key: String)
        case compareAndSet(key: String, expected: UInt64, value: [UInt8])
        case read(key: String)

        /// A compact description for traces.
        var text: String {
            switch self {
            case .put(let k, let v): return "put \(k)=\(String(decoding: v, as: UTF8.self))"
            case .delete(let k): return "delete \(k)"
            case .compareAndSet(let k, let e, let v): return "cas \(k)@\(e)=\(String(decoding: v, as: UTF8.self))"
            case .read(let k): return "read \(k)"
            }
        }

        /// Whether the operation only reads (it can be retried elsewhere, and abandoned).
        var isRead: Bool {
            if case .read = self { return true }
            return false
        }

        /// The key it is about.
        public var key: String {
            switch self {
            case .put(let k, _), .delete(let k), .compareAndSet(let k, _, _), .read(let k): return k
            }
        }
    }

    /// What the client observed.
    public enum Outcome: Equatable, Sendable {
        /// Still waiting.
        case pending
        /// Timed out: a write may or may not have taken effect.
        case unknown
        /// Known not to have taken effect.
        case failed
        /// A state-changing write at store revision `revision`.
        case wrote(revision: UInt64)
        /// An observation at store revision `point` of the key's value and modification revision.
        case observed(point: UInt64, value: [UInt8]?, modRevision: UInt64)
        /// An observation at `point` of the key's modification revision only (failed compare-and-set,
        /// delete of an absent key).
        case observedRevision(point: UInt64, modRevision: UInt64)

        /// A compact description for traces.
        var text: String {
            switch self {
            case .pending: return "pending"
            case .unknown: return "unknown (timed out)"
            case .failed: return "failed"
            case .wrote(let r): return "ok rev=\(r)"
            case .observed(let p, let v, let m):
                return "ok at rev \(p): \(v.map { String(decoding: $0, as: UTF8.self) } ?? "absent") (mod \(m))"
            case .observedRevision(let p, let m): return "not applied at rev \(p) (mod \(m))"
            }
        }
    }

    /// The client that invoked it.
    public let client: Int
    /// What it asked.
    public let kind: Kind
    /// When it was invoked, on the history's logical clock.
    public let invoke: Int
    /// When it completed, on the same clock; nil while pending.
    public var response: Int?
    /// What the client observed.
    public var outcome: Outcome = .pending
    /// The node the operation was last sent to.
    var lastAsked: NodeID?
    /// Whether that node led when it was asked.
    var askedLeader = false

    /// An operation of `client` invoked at `invoke`, pending.
    public init(client: Int, kind: Kind, invoke: Int) {
        self.client = client
        self.kind = kind
        self.invoke = invoke
    }
}

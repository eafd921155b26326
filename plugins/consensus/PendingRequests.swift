import RaftCore
import PGRaftKit

/// A proposal of this node waiting to be applied.
struct PendingProposal {
    /// Answers the client.
    let respond: Responder
    /// When it was proposed (monotonic ns), for the commit latency.
    let startedNs: UInt64
    /// When it times out (monotonic ms).
    let deadlineMs: Int64
}

/// A linearizable read waiting for its read point, then for the state machine to reach it.
struct PendingRead {
    /// Reads the state machine and produces the answer.
    let body: (ReplicatedStateMachine) -> (ClientStatusAndResult)
    /// Answers the client.
    let respond: Responder
    /// When it times out (monotonic ms).
    let deadlineMs: Int64
}

/// Reads waiting together for one read point.
struct ReadRound {
    /// The reads.
    var reads: [PendingRead]
    /// When the round was asked (monotonic ms); a round unanswered for long is asked again, since
    /// its request or answer may have been dropped on the way.
    var askedMs: Int64
}

/// A status and a result, as a read produces them.
typealias ClientStatusAndResult = (status: ClientStatus, result: ClientResult)

/// A request that completes when the node reaches some state (a membership change applied, a new
/// leader): `check` runs after every change and answers when done, or returns false to keep waiting.
struct StateWaiter {
    /// True when it answered (and can be dropped).
    let check: (ConsensusNode) -> Bool
    /// Answers on timeout.
    let respond: Responder
    /// When it times out (monotonic ms).
    let deadlineMs: Int64
    /// What it waits for, for the timeout message.
    let what: String
}

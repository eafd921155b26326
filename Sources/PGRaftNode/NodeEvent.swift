import RaftCore
import PGRaftClient

/// Names a client request for the caller: the machine answers it with a ``NodeReply`` carrying
/// the same id, exactly once.
public typealias RequestID = UInt64

/// Something that happened to the node; the caller feeds each to ``NodeMachine/handle(_:now:)``.
public enum NodeEvent: Sendable {
    /// Storage is connected (the first time, or again after a restart: then whatever was sent
    /// to it and not answered is lost).
    case storageConnected
    /// Storage went away; nothing is persisted until it is back.
    case storageDisconnected
    /// The answer to ``NodeAction/load``: what storage holds, nil when it holds nothing.
    case loaded(PersistentState?)
    /// The batch ``NodeAction/persist(_:)`` with this id is durable (fsync'd).
    case persisted(batch: UInt64)
    /// The image asked for by ``NodeAction/encodeSnapshot(index:term:image:)``, encoded.
    case snapshotEncoded(Snapshot)
    /// Storage answered ``NodeAction/compact(_:)``: nil when the snapshot is saved and the log
    /// compacted behind it, else why not.
    case compacted(index: UInt64, failure: String?)
    /// One tick (``NodeSettings/tickMs``) passed.
    case tick
    /// A Raft message addressed to this node arrived from a peer.
    case peerMessage(Message)
    /// The connection to a peer was lost: the leader stops pipelining to it.
    case peerUnreachable(NodeID)
    /// A peer's transport refuses this node as a non-member (`refused`), or accepts it again.
    case peerRefusal(NodeID, refused: Bool)
    /// The transport (re)connected: it needs the member list again.
    case transportConnected
    /// A client asks something.
    case request(RequestID, ClientOperation)
    /// An operator's membership change exactly as the core takes it, joint changes included
    /// (pgraftctl asks for learners, promotions and removals through ``request(_:_:)``; the
    /// simulator's operator also replaces and demotes voters this way).
    case confChange(ConfChange)
}

/// The identity of one Raft member.
///
/// Identities are chosen by the operator and never reused for a different server.
/// `0` is not a valid identity; the API uses `Optional<NodeID>` for "none".
public typealias NodeID = UInt64

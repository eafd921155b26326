import RaftCore

/// The seeded generator every randomized test uses, so that a failure replays from its seed: the
/// same SplitMix64 the Raft core takes as its injected randomness.
public typealias SeededRandom = SplitMix64

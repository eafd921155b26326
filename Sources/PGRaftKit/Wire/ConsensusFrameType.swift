/// Frame types on `<run_dir>/consensus.sock`, where transport and storage meet consensus.
public enum ConsensusFrameType {
    /// A liveness probe; consensus answers `pong` with the same payload.
    public static let ping: UInt16 = 1
    /// The answer to `ping`.
    public static let pong: UInt16 = 2
}

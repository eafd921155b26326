/// Frame types of the storage protocol on `<run_dir>/consensus.sock` (storage connects; consensus
/// sends requests, storage answers each with a reply carrying the same request id).
///
/// The payloads are defined by `StorageRequest` and `StorageReply` in the PGRaftStorage library.
public enum StorageFrameType {
    /// A request to storage: request id, operation, arguments.
    public static let request: UInt16 = 0x0101
    /// Storage's answer: the request's id, a status, data.
    public static let reply: UInt16 = 0x0102
}

extension StorageFrameType {
    /// Storage → consensus, first frame of a connection: "I am the storage"; no payload. Consensus
    /// then loads its state and sends requests.
    public static let hello: UInt16 = 0x0100
}

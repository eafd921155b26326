/// The node's identity as published in the segment's node section.
///
/// Writer: the supervisor (at creation, and on a reload through `SharedSegment.updateNode(_:)`).
public struct NodeInfo: Sendable, Equatable {
    /// The node's Raft id.
    public var nodeId: UInt64
    /// The cluster's name; at most 64 UTF-8 bytes.
    public var clusterName: String
    /// The address peers reach this node at; at most 64 UTF-8 bytes.
    public var listenAddress: String
    /// The port peers reach this node at.
    public var listenPort: UInt16
    /// Initialization flags (bit set owned by the supervisor; 0 when none).
    public var initFlags: UInt32

    /// A node description.
    public init(nodeId: UInt64, clusterName: String, listenAddress: String, listenPort: UInt16, initFlags: UInt32 = 0) {
        self.nodeId = nodeId
        self.clusterName = clusterName
        self.listenAddress = listenAddress
        self.listenPort = listenPort
        self.initFlags = initFlags
    }

    /// The fixed-size encodings of the text fields, or `SegmentError.fieldTooLong`.
    func encodedText() throws(SegmentError) -> (clusterName: [UInt8], listenAddress: [UInt8]) {
        let limit = SegmentSection.NodeRecord.textCapacity
        guard let name = SegmentMemory.exactBytes(clusterName, capacity: limit) else {
            throw .fieldTooLong(field: "cluster name", length: clusterName.utf8.count, limit: limit)
        }
        guard let address = SegmentMemory.exactBytes(listenAddress, capacity: limit) else {
            throw .fieldTooLong(field: "listen address", length: listenAddress.utf8.count, limit: limit)
        }
        return (name, address)
    }
}

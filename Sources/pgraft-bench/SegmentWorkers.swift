import ArgumentParser
import PGRaftKit
import PGRaftTestSupport

/// Test helper: a separate process that works on a segment, for the multi-process segment tests
/// (`pgraft-bench segment-worker ROLE --segment NAME …`). Hidden from help.
struct SegmentWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment-worker", abstract: "Test helper: act on a shared segment from another process.",
        shouldDisplay: false)

    /// What the worker does.
    enum Role: String, ExpressibleByArgument {
        /// Enqueue `--count` commands as producer `--producer`.
        case queueProducer = "queue-producer"
        /// Take the queue's lock and hold it until killed.
        case holdQueueLock = "hold-queue-lock"
        /// Create the segment and hold it until killed (stale-segment tests).
        case holdSegment = "hold-segment"
        /// Publish cluster states until killed (a writer killed mid-publish must not tear what readers see).
        case clusterStateWriter = "cluster-state-writer"
    }

    @Argument var role: Role
    @Option var segment: String
    @Option var producer = 0
    @Option var count = 0

    func run() throws {
        switch role {
        case .queueProducer: try SegmentStress.runQueueProducer(segmentName: segment, producerId: producer, count: count)
        case .holdQueueLock: try SegmentStress.holdQueueLockForever(segmentName: segment)
        case .holdSegment: try SegmentStress.holdSegmentForever(segmentName: segment)
        case .clusterStateWriter: try SegmentStress.publishClusterStatesForever(segmentName: segment)
        }
    }
}

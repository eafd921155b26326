import ArgumentParser
import PGRaftKit

/// Enqueues commands into a segment's command queue from a separate process (multi-process queue tests).
struct QueueProducer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue-producer", abstract: "Test helper: enqueue COUNT commands into a segment.",
        shouldDisplay: false)

    @Option var segment: String
    @Option var producer: Int
    @Option var count: Int

    func run() throws {
        try SegmentStress.runQueueProducer(segmentName: segment, producerId: producer, count: count)
    }
}

/// Takes the command queue's lock and never releases it, so a test can kill it while it holds the lock.
struct HoldQueueLock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold-queue-lock", abstract: "Test helper: hold a segment's queue lock until killed.",
        shouldDisplay: false)

    @Option var segment: String

    func run() throws {
        try SegmentStress.holdQueueLockForever(segmentName: segment)
    }
}

/// Creates a segment and holds it until killed (stale-segment tests).
struct HoldSegment: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold-segment", abstract: "Test helper: create a segment and hold it until killed.",
        shouldDisplay: false)

    @Option var segment: String

    func run() throws {
        try SegmentStress.holdSegmentForever(segmentName: segment)
    }
}

/// Publishes cluster states until killed (a writer killed mid-publish must not tear what readers see).
struct ClusterStateWriter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster-state-writer", abstract: "Test helper: publish cluster states until killed.",
        shouldDisplay: false)

    @Option var segment: String

    func run() throws {
        try SegmentStress.publishClusterStatesForever(segmentName: segment)
    }
}

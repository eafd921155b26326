/// What a component counts in its counters. Each component increments the kinds that apply to it.
///
/// Raw values are positions in the slot's counter array; there is room for `capacity` kinds, so new
/// kinds can be added without changing the layout.
public enum CounterKind: Int, Sendable, CaseIterable {
    /// Messages (frames) sent.
    case messagesSent = 0
    /// Messages (frames) received.
    case messagesReceived
    /// Payload bytes sent.
    case bytesSent
    /// Payload bytes received.
    case bytesReceived
    /// Elections started (campaigns).
    case elections
    /// Heartbeats sent (leader) or received (follower).
    case heartbeats
    /// Proposals submitted to Raft.
    case proposals
    /// fsync calls.
    case fsyncs
    /// Append requests sent.
    case appendsSent
    /// Append requests received.
    case appendsReceived
    /// Vote requests sent (votes and pre-votes).
    case voteRequests
    /// Votes granted.
    case votesGranted
    /// Snapshots sent.
    case snapshotsSent
    /// Snapshots received.
    case snapshotsReceived
    /// Commands enqueued into the command queue.
    case commandsEnqueued
    /// Commands applied.
    case commandsApplied
    /// Commands that failed.
    case commandsFailed
    /// Connections established.
    case connectionsOpened
    /// Connection errors (refused, reset, handshake failures).
    case connectionErrors
    /// Log entries written.
    case logEntriesWritten
    /// Log bytes written.
    case logBytesWritten
    /// HTTP requests served.
    case httpRequests
    /// HTTP requests answered with an error status.
    case httpErrors
    /// PostgreSQL promotions.
    case promotions
    /// PostgreSQL fencings.
    case fencings
    /// Leader changes observed.
    case leaderChanges
    /// Messages dropped because their destination was not connected or not keeping up.
    case messagesDropped

    /// Counters reserved per component slot (the layout's room for kinds).
    public static let capacity = 32

    /// The snake_case name for metrics, e.g. "messages_sent".
    public var metricName: String {
        String(describing: self).snakeCased
    }
}

extension String {
    /// The camelCase name in snake_case ("appendResponse" → "append_response"), for metric names and labels.
    public var snakeCased: String {
        var result = ""
        for character in self {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}

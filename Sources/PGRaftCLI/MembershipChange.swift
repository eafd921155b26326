import Foundation
import PGRaftAPI
import PGRaftKit
import PGRaftClient

/// A membership change `pgraftctl cluster` asks of consensus through the segment's command queue,
/// with its payload in the form consensus decodes (`ClientRequest(id: 0, operation:).encoded()`).
public struct MembershipChange: Sendable, Equatable {
    /// The queue's command type.
    public let type: CommandType
    /// What consensus is asked.
    public let operation: ClientOperation
    /// The change in words, e.g. "add node 4 at 10.0.0.4:7001".
    public let summary: String

    /// `add-node ID ADDRESS`, the arguments checked.
    public static func addNode(id: String, address: String) throws -> MembershipChange {
        let id = try checked { () throws(APIInputError) in try MemberArguments.nodeId(id, what: "node id") }
        let address = try checked { () throws(APIInputError) in try MemberArguments.address(address, what: "address") }
        return MembershipChange(type: .addNode, operation: .addNode(id: id, address: address), summary: "add node \(id) at \(address)")
    }

    /// `remove-node ID`, the argument checked.
    public static func removeNode(id: String) throws -> MembershipChange {
        let id = try checked { () throws(APIInputError) in try MemberArguments.nodeId(id, what: "node id") }
        return MembershipChange(type: .removeNode, operation: .removeNode(id: id), summary: "remove node \(id)")
    }

    /// `transfer-leader ID` (0: to the most up-to-date other voter), the argument checked.
    public static func transferLeader(id: String) throws -> MembershipChange {
        if id == "0" { return MembershipChange(type: .transferLeader, operation: .transferLeader(id: 0), summary: "transfer leadership") }
        let id = try checked { () throws(APIInputError) in try MemberArguments.nodeId(id, what: "node id") }
        return MembershipChange(type: .transferLeader, operation: .transferLeader(id: id), summary: "transfer leadership to node \(id)")
    }

    private static func checked<T>(_ body: () throws(APIInputError) -> T) throws(CLIError) -> T {
        do {
            return try body()
        } catch {
            throw CLIError(error.description)
        }
    }

    /// The queue payload.
    public var payload: [UInt8] { ClientRequest(id: 0, operation: operation).encoded() }

    /// Enqueues the change and waits until consensus publishes a final status for it, polling every
    /// `pollInterval` seconds for at most `timeout` seconds.
    ///
    /// - Returns: the COMPLETED status record.
    /// - Throws: `CLIError` with consensus's message when the command FAILED, or saying where it
    ///   stood when the time ran out (it may still be applied), or why it could not be queued.
    public func run(on segment: SharedSegment, timeout: Double, pollInterval: Double = 0.02) throws(CLIError) -> CommandStatusRecord {
        let id: UInt64
        do {
            id = try segment.enqueue(type: type, payload: payload)
        } catch {
            throw CLIError("cannot queue the command to \(summary): \(error)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var last: CommandStatusRecord?
        while true {
            if let status = segment.commandStatus(id: id) {
                last = status
                switch status.status {
                case .completed: return status
                case .failed:
                    throw CLIError("\(summary) failed: \(status.errorMessage.isEmpty ? "consensus gave no reason" : status.errorMessage)")
                case .pending, .processing: break
                }
            }
            guard Date() < deadline else { break }
            usleep(useconds_t(max(0, pollInterval) * 1_000_000))
        }
        let where_ = last.map { "it is \($0.status)" } ?? "consensus has not picked it up (is the consensus component running?)"
        throw CLIError("no outcome for command \(id) (\(summary)) within \(Self.seconds(timeout)) s: \(where_); it may still be applied")
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

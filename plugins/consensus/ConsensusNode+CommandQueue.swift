import PGRaftKit
import PGRaftClient

/// The operator's queued commands (`pgraftctl cluster add-node`, …), taken from the segment and
/// served like client requests; their status is published as they progress: PROCESSING, then
/// COMPLETED with the index and term, or FAILED with why.
extension ConsensusNode {
    func consumeCommandQueue() {
        guard let segment else { return }
        while let command = segment.dequeue() {
            if let status = segment.commandStatus(id: command.id), status.status.isFinal { continue }  // done before a restart
            guard let type = command.type, let request = try? ClientRequest.decode(command.payload), Self.matches(type, request.operation) else {
                counters?.increment(.commandsFailed)
                segment.setCommandStatus(
                    id: command.id, status: .failed,
                    errorMessage: "command type \(command.type.map { "\($0)" } ?? "\(command.rawType)") with a payload consensus cannot decode")
                continue
            }
            segment.setCommandStatus(id: command.id, status: .processing)
            logger.info("command from the queue", metadata: ["id": "\(command.id)", "type": "\(type)", "pid": "\(command.producerPid)"])
            let counters = self.counters
            handle(request.operation) { status, result in
                switch (status, result) {
                case (.ok, .written(_, let index, let term)), (.ok, .unchanged(_, _, let index, let term)):
                    segment.setCommandStatus(id: command.id, status: .completed, resultIndex: index, resultTerm: term)
                case (.ok, _):
                    segment.setCommandStatus(id: command.id, status: .completed)
                case (_, .message(let why)):
                    counters?.increment(.commandsFailed)
                    segment.setCommandStatus(id: command.id, status: .failed, errorMessage: why)
                default:
                    counters?.increment(.commandsFailed)
                    segment.setCommandStatus(id: command.id, status: .failed, errorMessage: "\(status)")
                }
            }
        }
    }

    /// Whether the queued command's type agrees with the operation its payload carries.
    static func matches(_ type: CommandType, _ operation: ClientOperation) -> Bool {
        switch (type, operation) {
        case (.addNode, .addNode), (.removeNode, .removeNode), (.transferLeader, .transferLeader), (.kvPut, .put),
            (.kvDelete, .delete), (.logAppend, .logAppend):
            return true
        default:
            return false
        }
    }
}

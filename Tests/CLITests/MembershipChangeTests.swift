import Foundation
import PGRaftCLI
import PGRaftKit
import Testing

/// `pgraftctl cluster add-node/remove-node/transfer-leader`: argument checks and the queue round trip.
@Suite("membership changes")
struct MembershipChangeTests {
    @Test(arguments: [
        ("0", "127.0.0.1:7104", "node id must be in 1…2147483647, not 0"),
        ("2147483648", "127.0.0.1:7104", "node id must be in 1…2147483647, not 2147483648"),
        ("four", "127.0.0.1:7104", "node id must be a whole number in 1…2147483647, not \"four\""),
        ("4", "127.0.0.1", "address \"127.0.0.1\" must be host:port"),
        ("4", ":7104", "has no host before the port"),
        ("4", "host:0", "has port \"0\"; it must be in 1…65535"),
        ("4", "host:http", "has port \"http\""),
        ("4", "::1:7104", "write an IPv6 host in brackets"),
        ("4", "a b:1", "contains whitespace"),
    ])
    func addNode_refusesBadArguments(id: String, address: String, message: String) {
        #expect {
            try MembershipChange.addNode(id: id, address: address)
        } throws: { error in
            (error as? CLIError)?.description.contains(message) == true
        }
    }

    @Test func addNode_acceptsHostnamesAndBracketedIPv6() throws {
        #expect(try MembershipChange.addNode(id: "4", address: "db4.example:7104").operation == .addNode(id: 4, address: "db4.example:7104"))
        #expect(try MembershipChange.addNode(id: "2147483647", address: "[::1]:7104").operation == .addNode(id: 2_147_483_647, address: "[::1]:7104"))
        #expect(try MembershipChange.transferLeader(id: "0").operation == .transferLeader(id: 0))
    }

    @Test func payload_isTheClientRequestConsensusDecodes() throws {
        let change = try MembershipChange.removeNode(id: "3")
        #expect(try ClientRequest.decode(change.payload) == ClientRequest(id: 0, operation: .removeNode(id: 3)))
        #expect(change.type == .removeNode)
    }

    /// Runs `change` against a fresh segment while a stand-in consumer answers its command with `outcome`.
    private func run(_ change: MembershipChange, outcome: CommandStatus?, timeout: Double = 10) throws -> CommandStatusRecord {
        let name = "/pgraft-clitest-\(getpid())-\(UUID().uuidString.prefix(8))"
        let segment = try SharedSegment.create(
            name: name, layout: .standard, node: NodeInfo(nodeId: 1, clusterName: "c", listenAddress: "127.0.0.1", listenPort: 1))
        defer { _ = segment.unlink() }
        let consumer = Thread {
            guard let outcome else { return }
            // The consumer polls like consensus does, until the command shows up.
            while true {
                if let command = segment.dequeue() {
                    segment.setCommandStatus(id: command.id, status: .processing)
                    segment.setCommandStatus(
                        id: command.id, status: outcome, errorMessage: outcome == .failed ? "node 3 is not a member" : "",
                        resultIndex: 50, resultTerm: 8)
                    return
                }
                usleep(1000)
            }
        }
        consumer.start()
        return try change.run(on: segment, timeout: timeout, pollInterval: 0.005)
    }

    @Test func run_returnsTheCompletedStatus() throws {
        let status = try run(try MembershipChange.removeNode(id: "3"), outcome: .completed)
        #expect(status.status == .completed && status.resultIndex == 50 && status.resultTerm == 8)
    }

    @Test func run_failsWithConsensusMessage() throws {
        #expect {
            try run(try MembershipChange.removeNode(id: "3"), outcome: .failed)
        } throws: { error in
            (error as? CLIError)?.description == "remove node 3 failed: node 3 is not a member"
        }
    }

    @Test func run_withoutAConsumer_timesOutSayingSo() throws {
        #expect {
            try run(try MembershipChange.transferLeader(id: "2"), outcome: nil, timeout: 0.05)
        } throws: { error in
            let text = (error as? CLIError)?.description ?? ""
            return text.contains("within 0.05 s") && text.contains("consensus has not picked it up")
        }
    }
}

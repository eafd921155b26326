import ArgumentParser
import PGRaftAPI
import PGRaftCLI

/// `pgraftctl list [--json]`: the members and their PostgreSQL servers, the table an operator reads
/// first, from `GET /v1/cluster` of the node's api.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the members with their PostgreSQL server: role, state, timeline, lag behind the recorded primary.",
        discussion: """
            Asks the node's HTTP API (GET /v1/cluster), which joins the Raft membership with each member's \
            status as its bridge recorded it in the key-value store. The writable primary is the Leader; a \
            member whose bridge recorded nothing is shown as unknown.
            """)

    @OptionGroup var node: NodeOptions

    @Flag(name: .long, help: "Print the list as JSON.")
    var json = false

    func run() throws {
        let list = try MemberList(clusterJSON: try node.api().call("GET", "/v1/cluster"))
        if json {
            print(String(decoding: try APIJSON.encode(list, pretty: true), as: UTF8.self))
        } else {
            print(list.render())
        }
    }
}

import PGRaftAPI
import PGRaftCLI
import PGRaftKit
import Testing

/// What pgraftctl prints, and how it reaches the api.
@Suite("pgraftctl output")
struct OutputTests {
    static let state = ClusterStateSnapshot(
        term: 7, leaderId: 1, role: .leader, commitIndex: 40, appliedIndex: 39, lastIndex: 42,
        members: [
            ClusterMember(id: 1, address: "10.0.0.1:7001", matchIndex: 42),
            ClusterMember(id: 2, address: "10.0.0.2:7001", matchIndex: 40, lastContactMs: 9_000),
            ClusterMember(id: 13, address: "10.0.0.13:7001", kind: .learner, matchIndex: 30, lastContactMs: 10_000 - 2_345),
        ])

    @Test func clusterStatus_headerAndTable() {
        let text = ClusterStatusReport.render(ClusterView(clusterName: "prod", nodeId: 1, state: Self.state), nowMs: 10_000)
        #expect(
            text == """
                cluster prod, node 1 (leader): term 7, leader node 1, commit index 40, applied index 39
                ID  ADDRESS         ROLE      MATCH  LAG  LAST CONTACT
                1   10.0.0.1:7001   leader    42     0    self
                2   10.0.0.2:7001   follower  40     2    1.0s ago
                13  10.0.0.13:7001  learner   30     12   2.3s ago
                """)
    }

    @Test func clusterStatus_onAFollowerWithoutLeader_showsNoLag() {
        var state = Self.state
        state.role = .follower
        state.leaderId = 0
        let text = ClusterStatusReport.render(ClusterView(clusterName: "prod", nodeId: 2, state: state), nowMs: 10_000)
        #expect(text.hasPrefix("cluster prod, node 2 (follower): term 7, leader none known,"))
        #expect(text.contains("2   10.0.0.2:7001   follower  40     -    self"))
    }

    @Test func clusterStatus_onANonMember_saysSo() {
        var state = Self.state
        state.role = .nonMember
        state.leaderId = 0
        let text = ClusterStatusReport.render(ClusterView(clusterName: "prod", nodeId: 2, state: state), nowMs: 10_000)
        let lines = text.split(separator: "\n")
        #expect(lines.first?.hasPrefix("cluster prod, node 2 (non-member): term 7, leader none known,") == true)
        #expect(lines.dropFirst().first == "this node is not a member of the cluster: it was removed, or its addition has not reached the other members yet")
    }

    @Test func logTrim_saysWhatIsGone() throws {
        let body = Array(#"{"trimmed_through":3,"index":25,"term":7}"#.utf8)
        #expect(try APIOutput.logTrim(body) == "trimmed through sequence 3 (index 25, term 7)")
    }

    @Test func clusterJSON_isTheAPIObject() throws {
        let json = String(decoding: try APIJSON.encode(ClusterView(clusterName: "prod", nodeId: 2, state: ClusterStateSnapshot())), as: UTF8.self)
        #expect(
            json == #"{"applied_index":0,"cluster_name":"prod","commit_index":0,"last_index":0,"leader_id":null,"members":[],"node_id":2,"role":"follower","snapshot_index":0,"term":0}"#
        )
    }

    @Test func kvOutputs() throws {
        #expect(try APIOutput.put(Array(#"{"key":"k","revision":3,"index":9,"term":2}"#.utf8)) == "OK revision 3 (index 9, term 2)")
        #expect(try APIOutput.delete(Array(#"{"key":"k","deleted":false,"revision":0,"index":9,"term":2}"#.utf8)) == "k did not exist (index 9)")
        #expect(
            try APIOutput.list(Array(#"{"revision":3,"count":2,"keys":[{"key":"a","value":"1"},{"key":"b","value_base64":"/w=="}]}"#.utf8))
                == "a\t1\nb\tbase64:/w==")
        #expect(try APIOutput.bytes("value", of: Array(#"{"value_base64":"/wA="}"#.utf8)) == [0xff, 0])
        #expect(throws: CLIError.self) { try APIOutput.put(Array("<html>".utf8)) }
    }

    @Test func keysArePercentEncodedForThePath_slashesKept() {
        #expect(NodeAPI.encodePath("a/b c%é?") == "a/b%20c%25%C3%A9%3F")
    }

    @Test func wildcardListenAddress_isReachedOnLoopback() throws {
        var config = try NodeConfig.parse(
            yaml: "cluster_name: c\nnode_id: 3\nlisten_port: 7001\ndata_dir: d\nrun_dir: r\nlog_dir: l\napi:\n  listen_address: 0.0.0.0\n  listen_port: 8300\n  allow_unauthenticated: true\n",
            file: "t.yaml", baseDirectory: "/tmp")
        #expect(NodeAPI(config: config).address == "127.0.0.1:8300")
        config.api.listenAddress = "::1"
        #expect(NodeAPI(config: config).address == "[::1]:8300")
    }

    @Test func unreachableAPI_namesTheNodeAndAddress() throws {
        let config = try NodeConfig.parse(
            yaml: "cluster_name: c\nnode_id: 3\nlisten_port: 7001\ndata_dir: d\nrun_dir: r\nlog_dir: l\napi:\n  listen_port: 1\n",
            file: "t.yaml", baseDirectory: "/tmp")
        #expect {
            try NodeAPI(config: config).call("GET", "/v1/log")
        } throws: { error in
            (error as? CLIError)?.description.hasPrefix("the api of node 3 at 127.0.0.1:1 is not reachable") == true
        }
    }
}

import Foundation
import PGRaftAPI
import PGRaftBridge
import PGRaftCLI
import PGRaftKit
import Testing

/// The api's view (PGRaftBridge has a `ClusterView` of its own, the bridge core's input).
private typealias ClusterView = PGRaftAPI.ClusterView

/// `pgraftctl list`: the table and the JSON, from the view `GET /v1/cluster` answers.
@Suite("pgraftctl list")
struct MemberListTests {
    /// Node 1 leads Raft; its server is the recorded primary. Node 2 streams from it 3.5 MiB behind,
    /// node 3 is a standby that does not stream, node 4's bridge recorded nothing.
    static let state = ClusterStateSnapshot(
        term: 7, leaderId: 1, role: .leader, commitIndex: 40, appliedIndex: 40, lastIndex: 40,
        members: [
            ClusterMember(id: 1, address: "10.0.0.1:7001", matchIndex: 40),
            ClusterMember(id: 2, address: "10.0.0.2:7001", matchIndex: 40),
            ClusterMember(id: 3, address: "10.0.0.3:7001", matchIndex: 39),
            ClusterMember(id: 4, address: "10.0.0.4:7001", kind: .learner, matchIndex: 12),
        ])

    static let primaryFlushed = WALPosition(text: "0/5380000")!

    static let records = BridgeRecords(
        topology: Topology(primary: 1, term: 7, timeline: 3, branch: 6, systemIdentifier: 7_312_078_226_453_216_361),
        statuses: [
            1: MemberStatus(
                node: 1, role: .primary, address: "10.0.0.1:5432", timeline: 3, flushed: primaryFlushed, replayed: primaryFlushed, upstream: 0,
                writtenAtMs: 1_765_120_000_000),
            2: MemberStatus(
                node: 2, role: .standby, address: "10.0.0.2:5432", timeline: 3, flushed: WALPosition(text: "0/5000000")!,
                replayed: WALPosition(text: "0/5000000")!, upstream: 1, writtenAtMs: 1_765_120_000_100),
            3: MemberStatus(
                node: 3, role: .standby, address: "[fd00::3]:5432", timeline: 2, flushed: WALPosition(text: "0/537FC00")!,
                replayed: WALPosition(text: "0/537FC00")!, upstream: 0, writtenAtMs: 1_765_120_000_200),
        ])

    static let local = PostgresView(
        PostgresStatusSnapshot(
            role: .primary, writable: true, timeline: 3, flushed: primaryFlushed, replayed: primaryFlushed, postmasterPid: 901,
            detail: "primary for term 7 with synchronous standbys ANY 1 (pgraft_2, pgraft_3)", publication: 12, publishedAtMs: 1_000),
        nowMs: 1_200, healthPeriodMs: 500)

    fileprivate static var view: ClusterView {
        ClusterView(clusterName: "prod", nodeId: 1, state: state).joined(with: .read(records), local: local)
    }

    @Test func table_markTheLeader_showLagInBytesOrMB_andMembersWithoutStatusAsUnknown() {
        #expect(
            MemberList(Self.view).render() == """
                cluster prod: primary node 1 (term 7, timeline 3)
                MEMBER  HOST            ROLE     STATE             TL  LAG
                1       10.0.0.1:5432   Leader   running           3   0
                2       10.0.0.2:5432   Replica  streaming from 1  3   3.5 MB
                3       [fd00::3]:5432  Replica  not streaming     2   1024 B
                4       -               unknown  no status         -   -
                node 1 (this node): primary, primary for term 7 with synchronous standbys ANY 1 (pgraft_2, pgraft_3)
                """)
    }

    @Test func aMemberWhoseLastRecordSaysPrimaryButIsNotTheRecordedOne_isAFormerPrimary() {
        var records = Self.records
        records.statuses[3] = MemberStatus(
            node: 3, role: .primary, address: "[fd00::3]:5432", timeline: 2, flushed: WALPosition(text: "0/537FC00")!,
            replayed: WALPosition(text: "0/537FC00")!, upstream: 0, writtenAtMs: 1_765_119_000_000)
        let view = ClusterView(clusterName: "prod", nodeId: 1, state: Self.state).joined(with: .read(records), local: Self.local)
        let list = MemberList(view)
        #expect(list.members.filter(\.leader).map(\.member) == [1])
        #expect(list.render().contains("3       [fd00::3]:5432  Former primary  not the recorded primary"), "\(list.render())")
    }

    @Test func clusterStatus_withTheAPIsView_showsEachMembersServer() {
        let text = ClusterStatusReport.render(Self.view, nowMs: 10_000)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[1].hasSuffix("POSTGRES  TL  FLUSHED    REPLAYED   PG LAG"), "\(text)")
        #expect(lines[2].contains("primary   3   0/5380000  0/5380000  0"), "\(text)")
        #expect(lines[3].contains("standby   3   0/5000000  0/5000000  3.5 MB"), "\(text)")
        #expect(lines[5].contains("unknown   -   -          -          -"), "\(text)")
        #expect(lines.last == "postgres: primary node 1 (term 7, timeline 3)")
    }

    @Test func json_hasEveryKey_nullWhenUnknown() throws {
        let json = String(decoding: try APIJSON.encode(MemberList(Self.view)), as: UTF8.self)
        #expect(json.hasPrefix(#"{"cluster_name":"prod","error":null,"local":{"age_ms":200,"detail":"primary for term 7"#))
        #expect(json.contains(#""members":[{"host":"10.0.0.1:5432","lag":0,"leader":true,"member":1,"role":"primary","state":"running","timeline":3},"#))
        #expect(json.contains(#"{"host":null,"lag":null,"leader":false,"member":4,"role":"unknown","state":"no status","timeline":null}]"#))
        #expect(json.hasSuffix(#""node_id":1,"primary":1,"term":7,"timeline":3}"#))
        let decoded = try JSONDecoder().decode(MemberList.self, from: Data(json.utf8))
        #expect(decoded == MemberList(Self.view))
    }

    @Test func theAPIsJSON_decodesBackToTheSameList() throws {
        let body = Array(try APIJSON.encode(Self.view)) + [10]
        #expect(try MemberList(clusterJSON: body) == MemberList(Self.view))
        #expect(try JSONDecoder().decode(ClusterView.self, from: Data(body)) == Self.view)
    }

    @Test func withoutARecordedPrimary_orRecords_theHeaderAndTheRowsSaySo() {
        var records = Self.records
        records.topology = nil
        let noPrimary = MemberList(ClusterView(clusterName: "prod", nodeId: 2, state: Self.state).joined(with: .read(records), local: nil))
        let text = noPrimary.render()
        #expect(text.hasPrefix("cluster prod: no primary recorded\n"))
        #expect(text.contains("2       10.0.0.2:5432   Replica  streaming from 1  3   -\n"), "no lag without a recorded primary")
        #expect(text.hasSuffix("node 2 (this node): its bridge has published no status"))

        let unreadable = MemberList(
            ClusterView(clusterName: "prod", nodeId: 2, state: Self.state).joined(with: .unavailable("consensus is not reachable at /run/c.sock"), local: nil))
        #expect(unreadable.members.allSatisfy { $0.role == "unknown" && $0.host == nil })
        #expect(unreadable.render().contains("\nPostgreSQL status of the members unknown: consensus is not reachable at /run/c.sock\n"))
    }

    @Test func aStaleLocalStatus_isSaidToBeStale() {
        let stale = PostgresView(
            PostgresStatusSnapshot(role: .standby, streamingFrom: 1, detail: "streaming from node 1", publication: 3, publishedAtMs: 1_000),
            nowMs: 13_345, healthPeriodMs: 500)
        let list = MemberList(ClusterView(clusterName: "prod", nodeId: 2, state: Self.state).joined(with: .read(Self.records), local: stale))
        #expect(list.render().hasSuffix("node 2 (this node): standby, streaming from node 1 (stale: the bridge has not published for 12.3 s)"))
    }

    @Test func aViewWithoutThePostgresSide_saysTheAPIDoesNotShowIt() {
        let list = MemberList(ClusterView(clusterName: "prod", nodeId: 3, state: Self.state))
        #expect(list.error == "the api of node 3 does not show the PostgreSQL side (is it older than pgraftctl?)")
        #expect(list.members.map(\.role) == ["unknown", "unknown", "unknown", "unknown"])
    }

    @Test func otherRoles_haveTheirWords() {
        var records = Self.records
        for (node, role) in [(2, BridgeStatus.Role.fencedPrimary), (3, .preparing)] {
            let old = records.statuses[UInt64(node)]!
            records.statuses[UInt64(node)] = MemberStatus(
                node: old.node, role: role, address: old.address, timeline: old.timeline, flushed: old.flushed, replayed: old.replayed,
                upstream: 0, writtenAtMs: old.writtenAtMs)
        }
        let text = MemberList(ClusterView(clusterName: "prod", nodeId: 1, state: Self.state).joined(with: .read(records), local: nil)).render()
        #expect(text.contains("2       10.0.0.2:5432   Fenced primary  fenced"))
        #expect(text.contains("3       [fd00::3]:5432  Preparing       preparing"))
    }

    @Test func lagFormatting() {
        #expect(MemberList.formatLag(nil) == "-")
        #expect(MemberList.formatLag(0) == "0")
        #expect(MemberList.formatLag(816) == "816 B")
        #expect(MemberList.formatLag((1 << 20) - 1) == "1048575 B")
        #expect(MemberList.formatLag(1 << 20) == "1.0 MB")
        #expect(MemberList.formatLag(3 * (1 << 20) + (1 << 19)) == "3.5 MB")
        #expect(MemberList.formatLag(10 * (1 << 30)) == "10240.0 MB")
    }

    @Test func notAClusterView_isAClearError() {
        #expect {
            try MemberList(clusterJSON: Array("<html>".utf8))
        } throws: { error in
            (error as? CLIError)?.description.hasPrefix("the api's answer to GET /v1/cluster is not a cluster view") == true
        }
    }
}

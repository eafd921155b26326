import CShims
import Foundation
import PGRaftAPI
import PGRaftBridge
import PGRaftCLI
import PGRaftClient
import PGRaftKit
import PGRaftTestSupport
import Testing

/// The PostgreSQL routes over real HTTP: the load balancer's health checks in every state of the
/// local server, `/v1/postgres`, the bridges' records in `/v1/cluster` and `/metrics`, and the
/// reserved key prefix.
@Suite("api PostgreSQL routes")
struct PostgresRoutesTests {
    // MARK: - States of the local server

    static let writablePrimary = PostgresStatusSnapshot(
        role: .primary, writable: true, timeline: 3, flushed: WALPosition(0x300_0400), replayed: WALPosition(0x300_0400), postmasterPid: 4242,
        detail: "primary for term 7")
    static let fencedPrimary = PostgresStatusSnapshot(
        role: .fencedPrimary, timeline: 3, flushed: WALPosition(0x300_0400), replayed: WALPosition(0x300_0400), postmasterPid: 4242,
        detail: "node 1 does not lead: fenced")
    /// 1024 bytes behind the primary of `records`.
    static let streamingStandby = PostgresStatusSnapshot(
        role: .standby, timeline: 3, flushed: WALPosition(0x300_0200), replayed: WALPosition(0x300_0000), streamingFrom: 2, postmasterPid: 555,
        detail: "streaming from node 2")
    static let lostStandby = PostgresStatusSnapshot(
        role: .standby, timeline: 3, flushed: WALPosition(0x300_0000), replayed: WALPosition(0x300_0000), postmasterPid: 555,
        detail: "waiting for a primary")

    /// What the bridges recorded: node 2 is the primary at 0/3000400; node 1 a standby at 0/3000000;
    /// node 3 has no status.
    static let topology = Topology(primary: 2, term: 7, timeline: 3, branch: 6, systemIdentifier: 7_312_078_226_453_216_361)
    static let statuses = [
        MemberStatus(
            node: 2, role: .primary, address: "10.0.0.2:5432", timeline: 3, flushed: WALPosition(0x300_0400), replayed: WALPosition(0x300_0400),
            upstream: 0, writtenAtMs: 1_765_120_000_000),
        MemberStatus(
            node: 1, role: .standby, address: "10.0.0.1:5432", timeline: 3, flushed: WALPosition(0x300_0200), replayed: WALPosition(0x300_0000),
            upstream: 2, writtenAtMs: 1_765_120_000_500),
    ]

    static func record(_ key: String, _ value: [UInt8]) -> ClientKeyRecord {
        ClientKeyRecord(key: key, value: value, createRevision: 1, modRevision: 2, version: 1)
    }

    /// A fake consensus holding the bridges' records (and a few others under the prefix that are
    /// not statuses), answering listings and reads of them.
    static func bridges(topology: Topology? = Self.topology, statuses: [MemberStatus] = Self.statuses) -> @Sendable (ClientOperation) -> FakeConsensus.Answer {
        var records = statuses.map { record(MemberStatus.key(of: $0.node), $0.encoded) }
        if let topology { records.append(record(Topology.key, topology.encoded)) }
        records.append(record(MemberReport.key(of: 2), Array("node=2 term=7 role=primary timeline=3 branch=6 position=0/3000400".utf8)))
        records.append(record("pgraft/status/9", Array("not a status".utf8)))
        let sorted = records.sorted { $0.key < $1.key }
        return { operation in
            switch operation {
            case .list(let prefix, _):
                return .reply(.ok, leader: 2, .records(sorted.filter { $0.key.hasPrefix(prefix) }, revision: 40))
            case .get(let key, _):
                guard let found = sorted.first(where: { $0.key == key }) else { return .reply(.notFound, leader: 2, .none) }
                return .reply(.ok, leader: 2, .record(found, revision: 40))
            case .metrics:
                return .reply(.ok, leader: 2, .metrics(ConsensusMetrics(latencyCounts: [], latencySumMs: 0, sentByKind: [], receivedByKind: [])))
            default:
                return .reply(.invalid, leader: 2, .message("not in this test"))
            }
        }
    }

    static func text(_ response: BlockingHTTPClient.Response) -> String { String(decoding: response.body, as: UTF8.self) }

    static func error(_ response: BlockingHTTPClient.Response) -> String { APIHarness.json(response)["error"] as? String ?? "" }

    /// The statuses of the three health routes, in the order /primary, /replica, /read-only.
    static func healthStatuses(_ api: APIHarness, query: String = "") throws -> [Int] {
        try ["/primary", "/replica" + query, "/read-only" + query].map { try api.request("GET", $0).status }
    }

    // MARK: - Health routes

    @Test func writablePrimaryOfTheLeader_isPrimaryAndReadOnly_notReplica() async throws {
        try await APIHarness.run { api in
            api.publish(Self.writablePrimary)
            let primary = try api.request("GET", "/primary")
            #expect(primary.status == 200)
            #expect(Self.text(primary) == #"{"role":"primary","writable":true,"timeline":3,"streaming_from":null,"lag":0,"stale":false}"# + "\n")
            #expect(primary.headers["cache-control"] == "no-store")
            #expect(try api.request("GET", "/read-only").status == 200)
            let replica = try api.request("GET", "/replica")
            #expect(replica.status == 503)
            #expect(Self.error(replica) == "PostgreSQL here is the primary, not a standby (bridge: primary for term 7)")
            // ?lag on the primary's /read-only needs no record: its lag is 0.
            #expect(try api.request("GET", "/read-only?lag=0").status == 200)
        }
    }

    @Test func writablePrimaryOfANodeThatDoesNotLead_isNotPrimary() async throws {
        try await APIHarness.run { api in
            api.publish(Self.writablePrimary)
            try api.segment.publishClusterState(ClusterStateSnapshot(term: 8, leaderId: 2, role: .follower))
            let primary = try api.request("GET", "/primary")
            #expect(primary.status == 503)
            #expect(Self.error(primary) == "this node does not lead the Raft cluster (it is follower; leader: node 2)")
            #expect(APIHarness.json(primary)["role"] as? String == "primary")
            #expect(try Self.healthStatuses(api) == [503, 503, 503])
            try api.segment.publishClusterState(ClusterStateSnapshot(term: 9, role: .candidate))
            #expect(Self.error(try api.request("GET", "/primary")).hasSuffix("(it is candidate; leader: none known)"))
        }
    }

    @Test func fencedPrimary_isNothing() async throws {
        try await APIHarness.run { api in
            api.publish(Self.fencedPrimary)
            let primary = try api.request("GET", "/primary")
            #expect(primary.status == 503)
            #expect(
                Self.error(primary)
                    == "PostgreSQL here is a fenced primary (it acknowledges no commit), not the writable primary (bridge: node 1 does not lead: fenced)")
            #expect(APIHarness.json(primary)["writable"] as? Bool == false)
            #expect(APIHarness.json(primary)["lag"] is NSNull)
            #expect(try Self.healthStatuses(api) == [503, 503, 503])
            #expect(Self.error(try api.request("GET", "/read-only")).hasPrefix("PostgreSQL here is a fenced primary"))
            // A primary role without the writable flag vouches for nothing either.
            var unwritable = Self.writablePrimary
            unwritable.writable = false
            api.publish(unwritable)
            #expect(Self.error(try api.request("GET", "/primary")).hasPrefix("PostgreSQL here is a primary the bridge does not hold writable"))
        }
    }

    @Test func streamingStandby_isReplicaAndReadOnly_withoutAskingConsensus() async throws {
        try await APIHarness.run { api in
            let fake = try await api.startConsensus(Self.bridges())
            api.publish(Self.streamingStandby)
            let replica = try api.request("GET", "/replica")
            #expect(replica.status == 200)
            #expect(Self.text(replica) == #"{"role":"standby","writable":false,"timeline":3,"streaming_from":2,"lag":null,"stale":false}"# + "\n")
            #expect(try api.request("GET", "/read-only").status == 200)
            let primary = try api.request("GET", "/primary")
            #expect(primary.status == 503)
            #expect(Self.error(primary) == "PostgreSQL here is a standby, not the writable primary (bridge: streaming from node 2)")
            #expect(fake.operations.isEmpty, "no ?lag: the segment alone answers")
        }
    }

    @Test func standbyThatDoesNotStream_isNothing() async throws {
        try await APIHarness.run { api in
            api.publish(Self.lostStandby)
            let statuses = try Self.healthStatuses(api)
            #expect(statuses == [503, 503, 503])
            #expect(Self.error(try api.request("GET", "/replica")) == "the standby streams from no server (bridge: waiting for a primary)")
            #expect(Self.error(try api.request("GET", "/read-only")) == "the standby streams from no server (bridge: waiting for a primary)")
        }
    }

    @Test(arguments: [BridgeStatus.Role.promoting, .stopped, .preparing, .refused])
    func serverInTransitionOrDown_isNothing(role: BridgeStatus.Role) async throws {
        try await APIHarness.run { api in
            api.publish(PostgresStatusSnapshot(role: role, detail: "x"))
            let statuses = try Self.healthStatuses(api)
            #expect(statuses == [503, 503, 503])
            #expect(Self.error(try api.request("GET", "/replica")).hasSuffix(", not a standby (bridge: x)"))
        }
    }

    @Test func staleStatus_vouchesForNothing() async throws {
        try await APIHarness.run { api in
            // health_period_ms is 500: 4 periods are 2000 ms.
            api.publish(Self.writablePrimary, ageMs: 2_500)
            let primary = try api.request("GET", "/primary")
            #expect(primary.status == 503)
            let body = APIHarness.json(primary)
            #expect(body["stale"] as? Bool == true)
            #expect(body["role"] as? String == "primary", "the last record is shown, but not vouched for")
            let message = Self.error(primary)
            #expect(message.hasPrefix("the bridge's PostgreSQL status is "))
            #expect(message.hasSuffix("ms old, over 2000 ms (4 × health_period_ms): the bridge is not running or is stuck"))
            #expect(try Self.healthStatuses(api) == [503, 503, 503])
            api.publish(Self.streamingStandby, ageMs: 60_000)
            #expect(try Self.healthStatuses(api, query: "?lag=1GB") == [503, 503, 503])
            // A fresh publication restores it at once.
            api.publish(Self.writablePrimary)
            #expect(try Self.healthStatuses(api) == [200, 503, 200])
        }
    }

    @Test func noStatusYet_isNothing_andNoSegmentIsSaidSo() async throws {
        try await APIHarness.run { api in
            let primary = try api.request("GET", "/primary")
            #expect(primary.status == 503)
            #expect(Self.text(primary) == #"{"error":"the bridge has not published the PostgreSQL status yet (is it running?)","role":null,"writable":false,"timeline":null,"streaming_from":null,"lag":null,"stale":false}"# + "\n")
            #expect(try Self.healthStatuses(api, query: "?lag=0") == [503, 503, 503])
            let postgres = try api.request("GET", "/v1/postgres")
            #expect(postgres.status == 503)
            #expect(Self.error(postgres) == "the bridge has not published the PostgreSQL status yet (is it running?)")
        }
    }

    // MARK: - ?lag

    @Test func lagLimit_isCheckedAgainstThePrimarysRecordedPosition() async throws {
        try await APIHarness.run { api in
            let fake = try await api.startConsensus(Self.bridges())
            api.publish(Self.streamingStandby)
            let within = try api.request("GET", "/replica?lag=1024")
            #expect(within.status == 200)
            #expect(APIHarness.json(within)["lag"] as? Int == 1024)
            #expect(try api.request("GET", "/replica?lag=1kB").status == 200)
            #expect(try api.request("GET", "/read-only?lag=16MB").status == 200)
            let over = try api.request("GET", "/replica?lag=1023")
            #expect(over.status == 503)
            #expect(Self.error(over) == "the standby is 1024 bytes behind the recorded primary, over ?lag=1023")
            #expect(APIHarness.json(over)["lag"] as? Int == 1024)
            #expect(try api.request("GET", "/read-only?lag=0").status == 503)
            #expect(fake.operations.allSatisfy { $0 == .list(prefix: "pgraft/", linearizable: false) }, "one stale local listing per check")
            #expect(fake.operations.count == 5)
        }
    }

    @Test func lagLimit_withoutAKnownPrimaryPosition_failsSayingWhy() async throws {
        try await APIHarness.run { api in
            _ = try await api.startConsensus(Self.bridges(topology: nil))
            api.publish(Self.streamingStandby)
            let noTopology = try api.request("GET", "/replica?lag=100")
            #expect(noTopology.status == 503)
            #expect(
                Self.error(noTopology)
                    == "the lag cannot be checked against ?lag=100: no primary is recorded (no pgraft/topology in the key-value store)")
            #expect(try api.request("GET", "/replica").status == 200, "without ?lag the position is not needed")
        }
        try await APIHarness.run { api in
            _ = try await api.startConsensus(Self.bridges(statuses: [Self.statuses[1]]))
            api.publish(Self.streamingStandby)
            #expect(
                Self.error(try api.request("GET", "/read-only?lag=100"))
                    == "the lag cannot be checked against ?lag=100: the recorded primary, node 2, has no status (pgraft/status/2)")
        }
        try await APIHarness.run { api in
            api.consensus.start()  // nothing serves consensus.sock
            api.publish(Self.streamingStandby)
            let response = try api.request("GET", "/replica?lag=100")
            #expect(response.status == 503)
            #expect(Self.error(response).hasPrefix("the lag cannot be checked against ?lag=100: the bridges' records cannot be read: consensus is not reachable"))
        }
    }

    @Test func slowConsensus_failsALagCheckWithinASecond() async throws {
        try await APIHarness.run { api in
            _ = try await api.startConsensus { _ in .silence }
            api.publish(Self.streamingStandby)
            let start = pgr_monotonic_ms()
            let response = try api.request("GET", "/replica?lag=100")
            let took = pgr_monotonic_ms() - start
            #expect(response.status == 503)
            #expect(Self.error(response).hasSuffix("the bridges' records cannot be read: consensus did not answer the listing within 1000 ms"))
            #expect(took < 5_000)
        }
    }

    @Test(arguments: [
        ("/replica?lag=", "query parameter lag must be a number of bytes"),
        ("/replica?lag=-1", "not \"-1\""),
        ("/read-only?lag=12XB", "not \"12XB\""),
        ("/replica?lag=99999999999999TB", "query parameter lag is too large"),
        ("/primary?lag=1", "unknown query parameter \"lag\" on /primary; it takes none"),
        ("/replica?max=1", "unknown query parameter \"max\""),
    ])
    func badLagLimit_is400(target: String, message: String) async throws {
        try await APIHarness.run { api in
            api.publish(Self.streamingStandby)
            let response = try api.request("GET", target)
            #expect(response.status == 400)
            #expect(Self.error(response).contains(message), "\(Self.error(response))")
        }
    }

    // MARK: - Methods

    @Test func headAndOptions_answerTheSameStatus_headWithoutABody() async throws {
        try await APIHarness.run { api in
            api.publish(Self.writablePrimary)
            for (method, path, status) in [("HEAD", "/primary", "200"), ("HEAD", "/replica", "503"), ("OPTIONS", "/primary", "200"), ("OPTIONS", "/replica", "503")] {
                let connection = try BlockingSocket.connect(host: "127.0.0.1", port: api.port, timeoutSeconds: 10)
                try connection.send(Array("\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
                let text = String(decoding: connection.receiveUntilClosed().bytes, as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 \(status)"), "\(method) \(path): \(text)")
                let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined()
                #expect(method == "HEAD" ? body.isEmpty : body.hasPrefix("{"), "\(method) \(path)")
            }
            let post = try api.request("POST", "/primary")
            #expect(post.status == 405 && post.headers["allow"] == "GET, HEAD, OPTIONS")
        }
    }

    // MARK: - /v1/postgres

    @Test func postgresStatus_isTheLocalRecordWithItsFreshness() async throws {
        try await APIHarness.run { api in
            var status = Self.streamingStandby
            status.flushed = WALPosition(text: "16/B374D848")!
            status.replayed = WALPosition(text: "16/B3000000")!
            api.publish(status, ageMs: 100)
            let response = try api.request("GET", "/v1/postgres")
            #expect(response.status == 200)
            let body = APIHarness.json(response)
            #expect(body["role"] as? String == "standby")
            #expect(body["writable"] as? Bool == false)
            #expect(body["detail"] as? String == "streaming from node 2")
            #expect(body["timeline"] as? Int == 3)
            #expect(body["flushed"] as? String == "16/B374D848")
            #expect(body["replayed"] as? String == "16/B3000000")
            #expect(body["streaming_from"] as? Int == 2)
            #expect(body["postmaster_pid"] as? Int == 555)
            #expect(body["stale"] as? Bool == false)
            #expect((body["age_ms"] as? Int).map { $0 >= 100 && $0 < 2_000 } == true)
            #expect(body["publication"] as? Int == 1)
            #expect(body.count == 11)

            api.publish(PostgresStatusSnapshot(role: .stopped, detail: "stopped by the bridge"), ageMs: 3_000)
            let stale = APIHarness.json(try api.request("GET", "/v1/postgres"))
            #expect(stale["stale"] as? Bool == true)
            #expect(stale["streaming_from"] is NSNull && stale["postmaster_pid"] is NSNull)
            #expect(stale["flushed"] as? String == "0/0")
            #expect(stale["publication"] as? Int == 2)
            #expect(try api.request("GET", "/v1/postgres?x=1").status == 400)
        }
    }

    // MARK: - /v1/cluster

    @Test func cluster_joinsTheBridgesRecords_withLagAgainstTheRecordedPrimary() async throws {
        try await APIHarness.run { api in
            let fake = try await api.startConsensus(Self.bridges())
            api.publish(Self.streamingStandby)
            let cluster = APIHarness.json(try api.request("GET", "/v1/cluster"))
            #expect(cluster["term"] as? Int == 7 && cluster["leader_id"] as? Int == 1, "the Raft side is unchanged")
            #expect(cluster["postgres_error"] is NSNull)
            let topology = try #require(cluster["topology"] as? [String: Any])
            #expect(topology["primary"] as? Int == 2 && topology["term"] as? Int == 7 && topology["timeline"] as? Int == 3)
            let local = try #require(cluster["local_postgres"] as? [String: Any])
            #expect(local["role"] as? String == "standby" && local["detail"] as? String == "streaming from node 2")
            let members = try #require(cluster["members"] as? [[String: Any]])
            #expect(members.map { $0["id"] as? Int } == [1, 2, 3])
            let one = try #require(members[0]["postgres"] as? [String: Any])
            #expect(one["role"] as? String == "standby")
            #expect(one["address"] as? String == "10.0.0.1:5432")
            #expect(one["flushed"] as? String == "0/3000200" && one["replayed"] as? String == "0/3000000")
            #expect(one["streaming_from"] as? Int == 2)
            #expect(one["lag"] as? Int == 1024)
            #expect(one["written_at_ms"] as? Int == 1_765_120_000_500)
            let two = try #require(members[1]["postgres"] as? [String: Any])
            #expect(two["role"] as? String == "primary" && two["lag"] as? Int == 0 && two["streaming_from"] is NSNull)
            #expect(members[2]["postgres"] is NSNull, "node 3 has no status")
            #expect(fake.operations == [.list(prefix: "pgraft/", linearizable: false)])
            // /v1/members stays the Raft membership alone.
            let list = try JSONSerialization.jsonObject(with: Data(try api.request("GET", "/v1/members").body)) as? [[String: Any]]
            #expect(list?.first?["postgres"] == nil)
        }
    }

    @Test func cluster_withoutARecordedPrimary_hasNoLag() async throws {
        try await APIHarness.run { api in
            _ = try await api.startConsensus(Self.bridges(topology: nil))
            let cluster = APIHarness.json(try api.request("GET", "/v1/cluster"))
            #expect(cluster["topology"] is NSNull)
            #expect(cluster["local_postgres"] is NSNull, "the bridge has published nothing")
            let members = try #require(cluster["members"] as? [[String: Any]])
            #expect((members[0]["postgres"] as? [String: Any])?["lag"] is NSNull)
        }
    }

    @Test func cluster_withConsensusUnreachable_answersTheRaftSide_andSaysWhyThePostgresSideIsMissing() async throws {
        try await APIHarness.run { api in
            api.consensus.start()
            api.publish(Self.writablePrimary)
            let response = try api.request("GET", "/v1/cluster")
            #expect(response.status == 200)
            let cluster = APIHarness.json(response)
            #expect((cluster["postgres_error"] as? String)?.contains("consensus is not reachable") == true)
            #expect(cluster["topology"] is NSNull)
            #expect((cluster["local_postgres"] as? [String: Any])?["role"] as? String == "primary")
            let members = try #require(cluster["members"] as? [[String: Any]])
            #expect(members.count == 3 && members.allSatisfy { $0["postgres"] is NSNull })
        }
    }

    @Test func pgraftctlList_readsTheClusterRouteOverHTTP() async throws {
        try await APIHarness.run { api in
            _ = try await api.startConsensus(Self.bridges())
            api.publish(Self.streamingStandby)
            let body = try NodeAPI(config: api.config).call("GET", "/v1/cluster", client: BlockingHTTPClient(host: "127.0.0.1", port: api.port))
            #expect(
                try MemberList(clusterJSON: body).render() == """
                    cluster apitest: primary node 2 (term 7, timeline 3)
                    MEMBER  HOST           ROLE     STATE             TL  LAG
                    1       10.0.0.1:5432  Replica  streaming from 2  3   1024 B
                    2       10.0.0.2:5432  Leader   running           3   0
                    3       -              unknown  no status         -   -
                    node 1 (this node): standby, streaming from node 2
                    """)
        }
    }

    // MARK: - /metrics

    @Test func metrics_showTheLocalServer() async throws {
        try await APIHarness.run { api in
            _ = try await api.startConsensus(Self.bridges())
            let before = Self.text(try api.request("GET", "/metrics"))
            #expect(!before.contains("pgraft_postgres_"), "nothing before the bridge's first status")

            api.publish(Self.streamingStandby)
            let samples = MetricsTests.samples(Self.text(try api.request("GET", "/metrics")))
            func value(_ name: String, _ labels: String = "") -> Double? {
                samples.first { $0.name == name && $0.labels == labels }?.value
            }
            #expect(value("pgraft_postgres_role", #"{role="standby"}"#) == 1)
            #expect(value("pgraft_postgres_role", #"{role="primary"}"#) == 0)
            #expect(value("pgraft_postgres_role", #"{role="fenced_primary"}"#) == 0)
            #expect(samples.filter { $0.name == "pgraft_postgres_role" }.count == 7)
            #expect(value("pgraft_postgres_writable") == 0)
            #expect(value("pgraft_postgres_timeline") == 3)
            #expect(value("pgraft_postgres_flushed_bytes") == Double(0x300_0200))
            #expect(value("pgraft_postgres_replayed_bytes") == Double(0x300_0000))
            #expect(value("pgraft_postgres_lag_bytes") == 1024)
            #expect(value("pgraft_postgres_status_stale") == 0)
            #expect((value("pgraft_postgres_status_age_seconds") ?? 99) < 2)

            api.publish(Self.writablePrimary, ageMs: 5_000)
            let primary = MetricsTests.samples(Self.text(try api.request("GET", "/metrics")))
            #expect(primary.first { $0.name == "pgraft_postgres_writable" }?.value == 1)
            #expect(primary.first { $0.name == "pgraft_postgres_lag_bytes" }?.value == 0)
            #expect(primary.first { $0.name == "pgraft_postgres_status_stale" }?.value == 1)
        }
    }

    @Test func metrics_ofAStandbyWithoutTheRecords_leaveTheLagOut() async throws {
        try await APIHarness.run { api in
            api.consensus.start()
            api.publish(Self.streamingStandby)
            let response = try api.request("GET", "/metrics")
            #expect(response.status == 200)
            let text = Self.text(response)
            #expect(text.contains("pgraft_postgres_replayed_bytes"))
            #expect(!text.contains("pgraft_postgres_lag_bytes"))
        }
    }

    // MARK: - Reserved prefix

    @Test(arguments: [
        ("PUT", "/v1/kv/pgraft/topology"), ("DELETE", "/v1/kv/pgraft/status/1"), ("PUT", "/v1/kv/pgraft%2Fmember%2F2"),
        ("PUT", "/v1/kv/pgraft/"), ("DELETE", "/v1/kv/pgraft/anything?"),
    ])
    func writesUnderThePgraftPrefix_are403(method: String, target: String) async throws {
        try await APIHarness.run { api in
            let fake = try await api.startConsensus(Self.bridges())
            let response = try api.request(method, target, body: Array("primary=3 term=99 timeline=1 branch=1 system_identifier=1".utf8))
            #expect(response.status == 403)
            #expect(
                Self.error(response)
                    == "keys under pgraft/ belong to the bridges (the recorded primary and the members' records): they can be read but not written or deleted through the api")
            #expect(fake.operations.isEmpty, "nothing reached consensus")
        }
    }

    @Test func readsUnderThePgraftPrefix_andWritesBesideIt_areAllowed() async throws {
        try await APIHarness.run { api in
            let fake = try await api.startConsensus(Self.bridges())
            let topology = try api.request("GET", "/v1/kv/pgraft/topology?stale=true")
            #expect(topology.status == 200)
            #expect(APIHarness.json(topology)["value"] as? String == String(decoding: Self.topology.encoded, as: UTF8.self))
            let listing = APIHarness.json(try api.request("GET", "/v1/kv?prefix=pgraft/status/"))
            #expect(listing["count"] as? Int == 3)
            // Only the prefix with its slash is reserved.
            #expect(try api.request("PUT", "/v1/kv/pgraftish", body: [1]).status == 400, "reaches consensus (which this fake refuses)")
            #expect(fake.operations.contains(.put(key: "pgraftish", value: [1])))
        }
    }
}

// MARK: - Pure decisions

@Suite("PostgreSQL health decisions")
struct PostgresHealthTests {
    static let leading = ClusterStateSnapshot(term: 7, leaderId: 1, role: .leader)

    @Test func lagParsing_acceptsBytesAndPostgresUnits() throws {
        #expect(try PostgresHealth.parseLag("0") == 0)
        #expect(try PostgresHealth.parseLag("1048576") == 1_048_576)
        #expect(try PostgresHealth.parseLag("512B") == 512)
        #expect(try PostgresHealth.parseLag("16kB") == 16_384)
        #expect(try PostgresHealth.parseLag("16MB") == 16 << 20)
        #expect(try PostgresHealth.parseLag("2GB") == 2 << 30)
        #expect(try PostgresHealth.parseLag("1TB") == 1 << 40)
        for bad in ["", "MB", "1.5MB", "16mb", "16 MB", "+1", "0x10"] {
            #expect(throws: APIInputError.self, "\(bad)") { try PostgresHealth.parseLag(bad) }
        }
    }

    @Test func readOnly_onAStandbyWithoutTheRecords_butALimit_failsSayingTheyWereNotRead() {
        let standby = PostgresStatusSnapshot(role: .standby, streamingFrom: 2, publication: 1, publishedAtMs: 1_000)
        let health = PostgresHealth.evaluate(.readOnly, status: standby, cluster: Self.leading, nowMs: 1_000, healthPeriodMs: 500, maxLag: 10)
        #expect(!health.healthy)
        #expect(health.reason == "the lag cannot be checked against ?lag=10: the bridges' records were not read")
    }

    @Test func primary_withAnUnreadableClusterState_isNotVouchedFor() {
        let primary = PostgresStatusSnapshot(role: .primary, writable: true, publication: 1, publishedAtMs: 1_000)
        let health = PostgresHealth.evaluate(.primary, status: primary, cluster: nil, nowMs: 1_000, healthPeriodMs: 500)
        #expect(health.httpStatus == 503)
        #expect(health.reason == "the cluster state cannot be read, so this node cannot be shown to lead")
        #expect(PostgresHealth.evaluate(.primary, status: primary, cluster: Self.leading, nowMs: 1_000, healthPeriodMs: 500).httpStatus == 200)
    }

    @Test func standbyLag_isZeroWhenItIsAheadOfTheRecordedPosition() {
        let records = BridgeRecords(
            topology: Topology(primary: 2, term: 7, timeline: 3, branch: 6, systemIdentifier: 1),
            statuses: [
                2: MemberStatus(
                    node: 2, role: .primary, address: "h:5432", timeline: 3, flushed: WALPosition(100), replayed: WALPosition(100), upstream: 0,
                    writtenAtMs: 0)
            ])
        let ahead = PostgresStatusSnapshot(role: .standby, replayed: WALPosition(150), streamingFrom: 2)
        #expect(PostgresHealth.lag(of: ahead, records: records) == 0, "the primary's record is older than the standby's replay")
        #expect(PostgresHealth.lag(of: PostgresStatusSnapshot(role: .stopped), records: records) == nil)
    }

    @Test func bridgeRecords_keepOnlyDecodableStatusesUnderTheirOwnKey() {
        let good = MemberStatus(
            node: 4, role: .standby, address: "h:5432", timeline: 1, flushed: WALPosition(1), replayed: WALPosition(1), upstream: 1, writtenAtMs: 5)
        let records = BridgeRecords(records: [
            ClientKeyRecord(key: "pgraft/status/4", value: good.encoded, createRevision: 1, modRevision: 1, version: 1),
            ClientKeyRecord(key: "pgraft/status/5", value: good.encoded, createRevision: 1, modRevision: 1, version: 1),  // names node 4
            ClientKeyRecord(key: "pgraft/status/x", value: good.encoded, createRevision: 1, modRevision: 1, version: 1),
            ClientKeyRecord(key: "pgraft/topology", value: Array("primary=".utf8), createRevision: 1, modRevision: 1, version: 1),
        ])
        #expect(records.statuses == [4: good])
        #expect(records.topology == nil)
        #expect(records.primaryFlushed == nil)
    }
}

extension APIHarness {
    /// Publishes `status` as the bridge would, `ageMs` ago.
    func publish(_ status: PostgresStatusSnapshot, ageMs: UInt64 = 0) {
        segment.publishPostgresStatus(status, atMonotonicMs: UInt64(pgr_monotonic_ms()) - ageMs)
    }
}

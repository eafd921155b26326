import PGRaftBridge
import PGRaftPostgres
import Testing

/// The text pgraft writes into a data directory and reads back, without a server.
@Suite struct ConfigurationTextTests {
    private let spec = PostgresServerSpec(
        dataDirectory: "/var/lib/pgraft/data", port: 5433, socketDirectory: "/run/pgraft", superuserPassword: "s3cret",
        replicationPassword: "r3pl", parameters: ["max_wal_senders": "20", "work_mem": "64MB"],
        hbaLines: ["host all app 10.0.0.0/8 scram-sha-256"], nodeID: 3, privateDirectory: "/var/lib/pgraft/private")

    @Test func aStandbysFileHasTheOwnedSettingsTheOperatorsParametersAndTheUpstreamAndReadsBack() {
        let upstream = Upstream(node: 1, address: ServerAddress(host: "db1.example", port: 5432))
        let passfile = Passfile(spec: spec)
        let standby = [
            ("primary_conninfo", ServerConfiguration.primaryConninfo(spec: spec, upstream: upstream, passfile: passfile)),
            ("primary_slot_name", MemberNaming.name(of: 3)), ("recovery_target_timeline", "latest"),
        ]
        let text = ServerConfiguration.render(spec: spec, standby: standby, synchronousStandbyNames: "ANY 1 (pgraft_node_1, pgraft_node_2)")
        let values = ServerConfiguration.parse(text)
        #expect(values["port"] == "5433")
        #expect(values["wal_level"] == "replica")
        #expect(values["hot_standby"] == "on")
        #expect(values["wal_log_hints"] == "on")
        #expect(values["unix_socket_directories"] == "/run/pgraft")
        #expect(values["max_wal_senders"] == "20")  // the operator's value wins over pgraft's default
        #expect(values["work_mem"] == "64MB")
        #expect(values["wal_retrieve_retry_interval"] == "100ms")
        #expect(values["synchronous_standby_names"] == "ANY 1 (pgraft_node_1, pgraft_node_2)")
        #expect(
            values["primary_conninfo"]
                == "host=db1.example port=5432 user=pgraft_replication passfile=/var/lib/pgraft/private/pgpass application_name=pgraft_node_3 connect_timeout=5"
        )
        #expect(values["primary_slot_name"] == "pgraft_node_3")
        #expect(values["recovery_target_timeline"] == "latest")
        #expect(!text.contains("s3cret") && !text.contains("r3pl"))
        #expect(text.components(separatedBy: "max_wal_senders").count == 2)
    }

    @Test func quotesInValuesSurviveTheRoundTrip() {
        var quoted = spec
        quoted.parameters = ["application_name": "it's a \\ test"]
        let values = ServerConfiguration.parse(ServerConfiguration.render(spec: quoted, standby: [], synchronousStandbyNames: ""))
        #expect(values["application_name"] == "it's a \\ test")
        #expect(values["synchronous_standby_names"] == "")
    }

    @Test func theIncludeLineIsAppendedOnce() {
        let once = ServerConfiguration.withInclude("shared_buffers = 128MB\n")
        #expect(once.hasSuffix("include 'pgraft.conf'\n"))
        #expect(ServerConfiguration.withInclude(once) == once)
    }

    @Test func pgHbaAdmitsTheSuperuserLocallyAndTheMembersForReplicationAndRewindBeforeTheOperatorsLines() {
        let table = MemberAddresses([1: ServerAddress(host: "10.0.0.1", port: 5432), 2: ServerAddress(host: "db2.example", port: 5432)])
        let lines = ServerConfiguration.hba(spec: spec, members: table).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(
            lines == [
                "local all postgres scram-sha-256",
                "host replication pgraft_replication 10.0.0.1/32 scram-sha-256",
                "host postgres pgraft_replication 10.0.0.1/32 scram-sha-256",
                "host replication pgraft_replication db2.example scram-sha-256",
                "host postgres pgraft_replication db2.example scram-sha-256",
                "host all app 10.0.0.0/8 scram-sha-256",
            ])
    }

    @Test func controlDataIsReadFromPgControldata() {
        let output = """
            pg_control version number:            1300
            Database system identifier:           7451234567890123456
            Database cluster state:               shut down in recovery
            Latest checkpoint's TimeLineID:       3
            """
        let control = ControlDataParser.parse(output, isStandby: true)
        #expect(control == .init(systemIdentifier: 7_451_234_567_890_123_456, timeline: 3, cleanShutdown: true, isStandby: true))
        #expect(ControlDataParser.parse("Database cluster state: in production", isStandby: false) == nil)
    }

    @Test func aSenderIsAMemberOnlyWhenExactlyOneAddressMatches() {
        let table = MemberAddresses([1: ServerAddress(host: "127.0.0.1", port: 5432), 2: ServerAddress(host: "127.0.0.1", port: 5433)])
        #expect(table.node(host: "127.0.0.1", port: 5433) == 2)
        #expect(table.node(host: "127.0.0.2", port: 5433) == nil)
    }
}

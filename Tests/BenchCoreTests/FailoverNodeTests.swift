import PGRaftBenchCore
import Testing

@Suite("the failover trial's --node options")
struct FailoverNodeTests {
    @Test("ID=PGHOST:PGPORT,http://HTTPHOST:HTTPPORT gives both endpoints")
    func parses() throws {
        let node = try FailoverNode(parsing: "1=127.0.0.1:5432,http://127.0.0.1:8008")
        #expect(node == FailoverNode(id: "1", postgresHost: "127.0.0.1", postgresPort: 5432, httpHost: "127.0.0.1", httpPort: 8008))
        #expect(node.postgresEndpoint == "127.0.0.1:5432")
        #expect(node.httpEndpoint == "127.0.0.1:8008")
    }

    @Test("a trailing slash, host names, named ids and bracketed IPv6 addresses are accepted")
    func variants() throws {
        #expect(try FailoverNode(parsing: "pg-1=db1:5433,http://db1:8008/").httpPort == 8008)
        let v6 = try FailoverNode(parsing: "n.2=[::1]:5432,http://[::1]:8009")
        #expect(v6.postgresHost == "::1" && v6.httpHost == "::1" && v6.httpPort == 8009)
        #expect(v6.postgresEndpoint == "[::1]:5432")
    }

    @Test(
        "a malformed option is refused with a message that quotes it and names the part at fault",
        arguments: [
            ("127.0.0.1:5432,http://127.0.0.1:8008", "expected ID="),
            ("=127.0.0.1:5432,http://127.0.0.1:8008", "the id ''"),
            ("a b=127.0.0.1:5432,http://127.0.0.1:8008", "the id 'a b'"),
            ("1=127.0.0.1:5432", "a comma"),
            ("1=127.0.0.1,http://127.0.0.1:8008", "PostgreSQL endpoint: '127.0.0.1' has no :PORT"),
            ("1=127.0.0.1:0,http://127.0.0.1:8008", "from 1 to 65535"),
            ("1=127.0.0.1:99999,http://127.0.0.1:8008", "from 1 to 65535"),
            ("1=:5432,http://127.0.0.1:8008", "has no host"),
            ("1=::1:5432,http://127.0.0.1:8008", "bracket an IPv6 address"),
            ("1=127.0.0.1:5432,127.0.0.1:8008", "must start with http://"),
            ("1=127.0.0.1:5432,https://127.0.0.1:8008", "https is not supported"),
            ("1=127.0.0.1:5432,http://127.0.0.1:8008/patroni", "takes no path"),
            ("1=127.0.0.1:5432,http://127.0.0.1:http", "HTTP endpoint: "),
        ])
    func refuses(text: String, expected: String) {
        #expect {
            try FailoverNode(parsing: text)
        } throws: { error in
            let message = (error as? FailoverOptionError)?.message ?? ""
            return message.hasPrefix("--node '\(text)': ") && message.contains(expected)
        }
    }

    @Test("a node list needs two nodes at least, distinct ids and distinct endpoints")
    func validatesTheList() throws {
        let one = try FailoverNode(parsing: "1=127.0.0.1:5432,http://127.0.0.1:8008")
        let two = try FailoverNode(parsing: "2=127.0.0.1:5433,http://127.0.0.1:8009")
        try FailoverNode.validate([one, two])
        #expect(throws: FailoverOptionError("give every node of the cluster with --node (at least two; got 1)")) {
            try FailoverNode.validate([one])
        }
        var sameID = two
        sameID.id = "1"
        #expect(throws: FailoverOptionError("--node: the id '1' is given twice")) { try FailoverNode.validate([one, sameID]) }
        var samePostgres = two
        samePostgres.postgresPort = 5432
        #expect(throws: FailoverOptionError("--node: the PostgreSQL endpoint 127.0.0.1:5432 is given twice")) {
            try FailoverNode.validate([one, samePostgres])
        }
        var sameHTTP = two
        sameHTTP.httpPort = 8008
        #expect(throws: FailoverOptionError("--node: the HTTP endpoint 127.0.0.1:8008 is given twice")) {
            try FailoverNode.validate([one, sameHTTP])
        }
    }
}

import Foundation
import NIOCore
import PGRaftAPI
import PGRaftCLI
import PGRaftKit
import PGRaftClient
import PGRaftTestSupport
import Testing

/// The api over real HTTP against a fake consensus: every route, every error status.
@Suite("api routes")
struct APIRouterTests {
    /// A fake store: answers kv and log operations from a fixed content.
    static func store(_ operation: ClientOperation) -> FakeConsensus.Answer {
        let record = ClientKeyRecord(key: "a/b c", value: Array("héllo \"x\"".utf8), createRevision: 3, modRevision: 5, version: 2)
        switch operation {
        case .put(let key, let value):
            return .reply(.ok, leader: 1, .written(revision: UInt64(9 + key.count + value.count), index: 21, term: 7))
        case .get(let key, _) where key == "a/b c":
            return .reply(.ok, leader: 1, .record(record, revision: 12))
        case .get(let key, _) where key == "binary":
            return .reply(.ok, leader: 1, .record(ClientKeyRecord(key: key, value: [0xff, 0x00, 0xfe], createRevision: 1, modRevision: 1, version: 1), revision: 12))
        case .get, .logGet:
            return .reply(.notFound, leader: 1, .none)
        case .delete(let key) where key == "missing":
            // What consensus answers for a key that does not exist: nothing changed.
            return .reply(.ok, leader: 1, .unchanged(revision: 13, modRevision: 0, index: 22, term: 7))
        case .delete:
            return .reply(.ok, leader: 1, .written(revision: 13, index: 22, term: 7))
        case .list(let prefix, _):
            return .reply(.ok, leader: 1, .records(prefix.isEmpty ? [record, record] : [record], revision: 12))
        case .logAppend:
            return .reply(.ok, leader: 1, .logRecord(sequence: 4, index: 23, term: 7, data: []))
        case .logStats:
            return .reply(.ok, leader: 1, .logStats(count: 4, bytes: 100, firstSequence: 1, lastSequence: 4, lastIndex: 23))
        case .logTrim(let through):
            return .reply(.ok, leader: 1, .logTrimmed(through: min(through, 4), index: 25, term: 7))
        case .addNode, .removeNode:
            return .reply(.ok, leader: 1, .written(revision: 0, index: 24, term: 7))
        case .transferLeader:
            return .reply(.ok, leader: 1, .none)
        case .metrics, .compareAndSet:
            return .reply(.invalid, leader: 1, .message("not in this test"))
        }
    }

    @Test func kv_putGetDeleteList_answerTheDocumentedJSON() async throws {
        try await APIHarness.run { api in
            let fake = try await api.startConsensus(Self.store)

            let put = try api.request("PUT", "/v1/kv/a/b%20c", body: Array("v1".utf8))
            #expect(put.status == 200)
            #expect(String(decoding: put.body, as: UTF8.self) == #"{"key":"a/b c","revision":16,"index":21,"term":7}"# + "\n")

            let get = try api.request("GET", "/v1/kv/a/b%20c")
            #expect(get.status == 200)
            #expect(
                String(decoding: get.body, as: UTF8.self)
                    == #"{"key":"a/b c","value":"héllo \"x\"","create_revision":3,"mod_revision":5,"version":2,"revision":12}"# + "\n")

            let binary = APIHarness.json(try api.request("GET", "/v1/kv/binary?stale=true"))
            #expect(binary["value"] == nil)
            #expect(binary["value_base64"] as? String == "/wD+")

            let deleted = APIHarness.json(try api.request("DELETE", "/v1/kv/k"))
            #expect(deleted["deleted"] as? Bool == true)
            #expect(deleted["revision"] as? Int == 13)
            #expect(APIHarness.json(try api.request("DELETE", "/v1/kv/missing"))["deleted"] as? Bool == false)

            let all = APIHarness.json(try api.request("GET", "/v1/kv?prefix="))
            #expect(all["count"] as? Int == 2)
            #expect((all["keys"] as? [[String: Any]])?.first?["mod_revision"] as? Int == 5)
            #expect(APIHarness.json(try api.request("GET", "/v1/kv?prefix=a%2F&stale=true"))["count"] as? Int == 1)

            #expect(
                fake.operations == [
                    .put(key: "a/b c", value: Array("v1".utf8)), .get(key: "a/b c", linearizable: true),
                    .get(key: "binary", linearizable: false), .delete(key: "k"), .delete(key: "missing"),
                    .list(prefix: "", linearizable: true), .list(prefix: "a/", linearizable: false),
                ])
        }
    }

    @Test func kv_missingKey_is404WithJSONError() async throws {
        try await APIHarness.run { api in
            _ = try await api.startConsensus(Self.store)
            let response = try api.request("GET", "/v1/kv/nothing")
            #expect(response.status == 404)
            #expect((APIHarness.json(response)["error"] as? String)?.contains("key \"nothing\" not found") == true)
        }
    }

    @Test func log_appendGetStats() async throws {
        try await APIHarness.run { api in
            let fake = try await api.startConsensus(Self.store)
            let appended = try api.request("POST", "/v1/log", body: Array("entry".utf8))
            #expect(appended.status == 201)
            #expect(String(decoding: appended.body, as: UTF8.self) == #"{"sequence":4,"index":23,"term":7}"# + "\n")
            #expect(try api.request("GET", "/v1/log/9").status == 404)
            let stats = APIHarness.json(try api.request("GET", "/v1/log"))
            #expect(stats["count"] as? Int == 4 && stats["last_index"] as? Int == 23 && stats["first_sequence"] as? Int == 1)
            #expect(fake.operations.contains(.logAppend(data: Array("entry".utf8))))
            #expect(fake.operations.contains(.logGet(sequence: 9, linearizable: true)))
            let trimmed = try api.request("DELETE", "/v1/log?through=3")
            #expect(trimmed.status == 200)
            #expect(String(decoding: trimmed.body, as: UTF8.self) == #"{"trimmed_through":3,"index":25,"term":7}"# + "\n")
            #expect(fake.operations.contains(.logTrim(through: 3)))
        }
    }

    @Test func membership_addRemoveTransfer_sendTheOperations() async throws {
        try await APIHarness.run { api in
            let fake = try await api.startConsensus(Self.store)
            let added = try api.request("POST", "/v1/members", body: Array(#"{"id":4,"address":"127.0.0.1:7104"}"#.utf8))
            #expect(added.status == 200)
            #expect(String(decoding: added.body, as: UTF8.self) == #"{"index":24,"term":7}"# + "\n")
            #expect(try api.request("DELETE", "/v1/members/4").status == 200)
            let transfer = try api.request("POST", "/v1/leader/transfer", body: Array(#"{"id":2}"#.utf8))
            #expect(String(decoding: transfer.body, as: UTF8.self) == #"{"index":null,"term":null}"# + "\n")
            #expect(try api.request("POST", "/v1/leader/transfer").status == 200)
            #expect(
                fake.operations == [
                    .addNode(id: 4, address: "127.0.0.1:7104"), .removeNode(id: 4), .transferLeader(id: 2), .transferLeader(id: 0),
                ])
        }
    }

    @Test func cluster_andMembers_comeFromTheSegment() async throws {
        try await APIHarness.run { api in
            let cluster = APIHarness.json(try api.request("GET", "/v1/cluster"))
            #expect(cluster["cluster_name"] as? String == "apitest")
            #expect(cluster["leader_id"] as? Int == 1 && cluster["term"] as? Int == 7 && cluster["role"] as? String == "leader")
            let members = try #require(cluster["members"] as? [[String: Any]])
            #expect(members.map { $0["lag"] as? Int } == [0, 2, 12])
            #expect(members[2]["kind"] as? String == "learner")
            #expect(members[2]["last_contact_ms"] is NSNull)
            let list = try JSONSerialization.jsonObject(with: Data(try api.request("GET", "/v1/members").body)) as? [[String: Any]]
            #expect(list?.map { $0["id"] as? Int } == [1, 2, 3])
        }
    }

    @Test(arguments: [
        (ClientStatus.noLeader, 503), (.unavailable, 503), (.invalid, 400), (.notFound, 404), (.timedOut, 504), (.failed, 500), (.notMember, 421),
    ])
    func consensusStatus_mapsToHTTPStatus(status: ClientStatus, http: Int) async throws {
        try await APIHarness.run { api in
            _ = try await api.startConsensus { _ in .reply(status, leader: 0, .message("because")) }
            let response = try api.request("PUT", "/v1/kv/k", body: [1])
            #expect(response.status == http)
            let body = APIHarness.json(response)
            #expect(body["error"] as? String == "because", "consensus's own message is the error")
            #expect(body["leader"] is NSNull)
            #expect(response.headers["retry-after"] == (http == 503 ? "1" : nil))
        }
    }

    @Test func consensusAbsent_is503WithRetryAfter() async throws {
        try await APIHarness.run { api in
            api.consensus.start()
            let response = try api.request("GET", "/v1/kv/k")
            #expect(response.status == 503)
            #expect(response.headers["retry-after"] == "1")
            #expect((APIHarness.json(response)["error"] as? String)?.contains("not reachable") == true)
        }
    }

    @Test func consensusSilent_is504SayingTheOutcomeIsUnknown() async throws {
        try await APIHarness.run(consensusTimeout: .milliseconds(200)) { api in
            _ = try await api.startConsensus { _ in .silence }
            let response = try api.request("PUT", "/v1/kv/k", body: [1])
            #expect(response.status == 504)
            #expect((APIHarness.json(response)["error"] as? String)?.contains("outcome is unknown") == true)
        }
    }

    @Test func consensusHangsUp_pendingRequestIs504BecauseTheOutcomeIsUnknown() async throws {
        try await APIHarness.run { api in
            _ = try await api.startConsensus { _ in .hangUp }
            let response = try api.request("PUT", "/v1/kv/k", body: [1])
            #expect(response.status == 504)
            #expect((APIHarness.json(response)["error"] as? String)?.contains("lost") == true)
        }
    }

    @Test(arguments: [
        ("PUT", "/v1/kv/", "", 400, "the key is empty"),
        ("PUT", "/v1/kv/" + String(repeating: "k", count: 1025), "", 400, "1025 bytes"),
        ("GET", "/v1/kv/a%zz", "", 400, "malformed percent escape \"%zz\" at offset 1 of the key"),
        ("GET", "/v1/kv/a%ff", "", 400, "not valid UTF-8"),
        ("GET", "/v1/kv/a?stale=maybe", "", 400, "stale must be true or false"),
        ("GET", "/v1/kv?prefix=a&limit=3", "", 400, "unknown query parameter \"limit\""),
        ("GET", "/v1/log/abc", "", 400, "log sequence in the path"),
        ("GET", "/v1/log/0", "", 400, "log sequence in the path"),
        ("DELETE", "/v1/log", "", 400, "DELETE /v1/log needs ?through=SEQUENCE"),
        ("DELETE", "/v1/log?through=0", "", 400, "DELETE /v1/log needs ?through=SEQUENCE"),
        ("DELETE", "/v1/log?through=3&all=1", "", 400, "unknown query parameter \"all\""),
        ("DELETE", "/v1/members/x1", "", 400, "node id in the path"),
        ("DELETE", "/v1/members/2147483648", "", 400, "must be in 1…2147483647"),
        ("POST", "/v1/members", "{", 400, "not valid JSON"),
        ("POST", "/v1/members", "", 400, "needs a JSON body"),
        ("POST", "/v1/members", #"{"id":4}"#, 400, "lacks field \"address\""),
        ("POST", "/v1/members", #"{"id":"4","address":"h:1"}"#, 400, "field \"id\" of the body of POST /v1/members must be a whole number"),
        ("POST", "/v1/members", #"{"id":-4,"address":"h:1"}"#, 400, "field id must be a whole number"),
        ("POST", "/v1/members", #"{"id":4,"address":"nohost"}"#, 400, "must be host:port"),
        ("POST", "/v1/members", #"{"id":4,"address":"h:70000"}"#, 400, "it must be in 1…65535"),
        ("POST", "/v1/leader/transfer", #"{"id":true}"#, 400, "field \"id\""),
        ("GET", "/v1/nothing", "", 404, "no such endpoint: /v1/nothing"),
        ("POST", "/v1/cluster", "", 405, "POST is not allowed on /v1/cluster; allowed: GET"),
        ("PUT", "/v1/kv/k", String(repeating: "x", count: APIHarness.maxValueBytes + 1), 413, "over api.max_value_bytes (64)"),
    ])
    func badInput_isRefusedWithAClearJSONError(method: String, target: String, body: String, status: Int, message: String) async throws {
        try await APIHarness.run { api in
            let fake = try await api.startConsensus(Self.store)
            let response = try api.request(method, target, body: Array(body.utf8))
            #expect(response.status == status)
            let error = APIHarness.json(response)["error"] as? String ?? ""
            #expect(error.contains(message), "\(error)")
            #expect(fake.operations.isEmpty)
        }
    }

    @Test func wrongMethod_listsAllowedMethods() async throws {
        try await APIHarness.run { api in
            let kv = try api.request("POST", "/v1/kv/k")
            let transfer = try api.request("GET", "/v1/leader/transfer")
            #expect(kv.status == 405 && kv.headers["allow"] == "GET, PUT, DELETE")
            #expect(transfer.status == 405 && transfer.headers["allow"] == "POST")
        }
    }

    @Test func tooLargeBody_isRefusedBeforeItIsRead_andTheConnectionCloses() async throws {
        try await APIHarness.run { api in
            let connection = try BlockingSocket.connect(host: "127.0.0.1", port: api.port, timeoutSeconds: 10)
            // Announces 10 MB and sends only the head: the answer must come without the body.
            try connection.send(Array("PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n".utf8))
            let (bytes, closed) = connection.receiveUntilClosed()
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 413"))
            #expect(text.lowercased().contains("connection: close"))
            #expect(closed)
        }
    }

    @Test func pipelinedRequests_areAnsweredInOrder() async throws {
        try await APIHarness.run { api in
            _ = try await api.startConsensus(Self.store)
            let connection = try BlockingSocket.connect(host: "127.0.0.1", port: api.port, timeoutSeconds: 10)
            try connection.send(
                Array(
                    ("GET /v1/kv/a/b%20c HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /v1/kv/nothing HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").utf8))
            let text = String(decoding: connection.receiveUntilClosed().bytes, as: UTF8.self)
            let statuses = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
            #expect(statuses == ["200", "404", "200"])
            #expect(text.range(of: "héllo")!.lowerBound < text.range(of: "not found")!.lowerBound)
        }
    }

    @Test func requests_areCountedInTheApiSlot() async throws {
        try await APIHarness.run { api in
            _ = try api.request("GET", "/health")
            _ = try api.request("GET", "/nope")
            #expect(api.segment.counters(at: 2)[.httpRequests] == 2)
            #expect(api.segment.counters(at: 2)[.httpErrors] == 1)
        }
    }
}

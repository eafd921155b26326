import Foundation
import PGRaftAPI
import PGRaftClient
import PGRaftKit
import Testing

/// `api.token_file` and `api.auth`: every route, with and without a token, under each scope.
@Suite struct APIAccessTests {
    static let token = "tok-3f9a1c77d2e84b05a6"
    static let tokens = try! APITokens(text: "# operators\n\(token)\n  second-token-0123456789  \n", path: "/etc/pgraft/api.tokens")

    /// What a route is, for the scopes.
    enum Kind { case write, read, health }

    /// Every route and method the API serves, with a body that makes sense.
    static let routes: [(method: String, target: String, body: String, kind: Kind)] = [
        ("GET", "/health", "", .health),
        ("GET", "/primary", "", .health),
        ("GET", "/replica", "", .health),
        ("OPTIONS", "/read-only", "", .health),
        ("GET", "/v1/node", "", .read),
        ("GET", "/v1/postgres", "", .read),
        ("GET", "/v1/cluster", "", .read),
        ("GET", "/metrics", "", .read),
        ("GET", "/v1/kv", "", .read),
        ("GET", "/v1/kv/a", "", .read),
        ("GET", "/v1/log", "", .read),
        ("GET", "/v1/log/1", "", .read),
        ("GET", "/v1/members", "", .read),
        ("PUT", "/v1/kv/a", "v", .write),
        ("DELETE", "/v1/kv/a", "", .write),
        ("POST", "/v1/log", "record", .write),
        ("DELETE", "/v1/log?through=1", "", .write),
        ("POST", "/v1/members", #"{"id":4,"address":"127.0.0.1:7104"}"#, .write),
        ("DELETE", "/v1/members/4", "", .write),
        ("POST", "/v1/leader/transfer", #"{"id":2}"#, .write),
    ]

    static func needsToken(_ kind: Kind, _ scope: APIAuthScope) -> Bool {
        switch scope {
        case .writes: return kind == .write
        case .reads: return kind != .health
        case .all: return true
        }
    }

    static func answer(_ operation: ClientOperation) -> FakeConsensus.Answer {
        .reply(.ok, leader: 1, .none)
    }

    @Test(arguments: APIAuthScope.allCases)
    func everyRouteInTheScopeNeedsAValidTokenAndTheOthersStayOpen(scope: APIAuthScope) async throws {
        try await APIHarness.run(access: APIAccess(tokens: Self.tokens, scope: scope)) { api in
            let fake = try await api.startConsensus(Self.answer)
            for route in Self.routes {
                let label = "\(scope) \(route.method) \(route.target)"
                let body = Array(route.body.utf8)
                let bare = try api.request(route.method, route.target, body: body)
                let wrong = try api.request(route.method, route.target, body: body, headers: [("Authorization", "Bearer not-\(Self.token)")])
                let basic = try api.request(route.method, route.target, body: body, headers: [("Authorization", "Basic \(Self.token)")])
                if Self.needsToken(route.kind, scope) {
                    let before = fake.operations.count
                    #expect(bare.status == 401, "\(label)")
                    #expect(bare.headers["www-authenticate"] == #"Bearer realm="pgraft""#, "\(label)")
                    #expect((APIHarness.json(bare)["error"] as? String)?.contains("needs a bearer token") == true, "\(label)")
                    #expect(wrong.status == 401 && wrong.headers["www-authenticate"]?.contains(#"error="invalid_token""#) == true, "\(label)")
                    #expect(basic.status == 401 && basic.headers["www-authenticate"]?.contains(#"error="invalid_request""#) == true, "\(label)")
                    #expect(fake.operations.count == before, "\(label): a refused request must not reach consensus")
                    for refused in [bare, wrong, basic] {
                        #expect(!String(decoding: refused.body, as: UTF8.self).contains(Self.token), "\(label): the answer repeats the token")
                    }
                } else {
                    #expect(bare.status != 401 && wrong.status != 401 && basic.status != 401, "\(label)")
                }
                for token in [Self.token, "second-token-0123456789"] {
                    let allowed = try api.request(route.method, route.target, body: body, headers: [("Authorization", "Bearer \(token)")])
                    #expect(allowed.status != 401, "\(label) with a good token: \(allowed.status)")
                }
            }
        }
    }

    @Test func withoutATokenFileEveryRouteIsOpen() async throws {
        try await APIHarness.run { api in
            _ = try await api.startConsensus(Self.answer)
            for route in Self.routes {
                #expect(try api.request(route.method, route.target, body: Array(route.body.utf8)).status != 401, "\(route.method) \(route.target)")
            }
        }
    }
}

import Foundation
import NIOCore
import PGRaftKit
import PGRaftClient

/// The routes consensus answers: key-value, command log, membership.
extension APIRouter {
    /// Sends `operation` and turns the reply into a response: `success` maps an `.ok` reply's result
    /// (nil: a result of the wrong kind, a 500); any other status is mapped by `failure(_:notFound:)`.
    func ask(
        _ operation: ClientOperation, notFound: String = "not found", on loop: EventLoop,
        _ success: @escaping @Sendable (ClientResult) -> APIResponse?
    ) -> EventLoopFuture<APIResponse> {
        guard let consensus else {
            return loop.makeSucceededFuture(
                Self.failure(ClientReply(id: 0, status: .unavailable, leader: 0, result: .message("the api has no link to consensus")), notFound: notFound))
        }
        return consensus.submit(operation).hop(to: loop).map { reply in
            guard reply.status == .ok else { return Self.failure(reply, notFound: notFound) }
            return success(reply.result) ?? .error(500, "consensus answered \(operation.name) with an unexpected result: \(reply.result)")
        }
    }

    /// The HTTP answer to a reply that did not succeed: 503 (with `Retry-After: 1`) for no leader or
    /// consensus unavailable, 400 invalid, 404 not found, 504 timed out, 500 failed, 421 from a node that
    /// is not a member, with consensus's
    /// message when it gave one. The body names the
    /// leader when one is known (null otherwise), so a client can tell where writes go.
    static func failure(_ reply: ClientReply, notFound: String) -> APIResponse {
        var detail = ""
        if case .message(let text) = reply.result { detail = text }
        let status: Int
        var message: String
        switch reply.status {
        case .ok:
            return .error(500, "consensus reported success where a failure was expected")
        case .noLeader:
            status = 503
            message = "no leader is known (an election may be under way); retry"
        case .unavailable:
            status = 503
            message = "consensus cannot serve the request now; retry"
        case .invalid:
            status = 400
            message = "consensus refused the request as invalid"
        case .notFound:
            status = 404
            message = notFound
        case .timedOut:
            status = 504
            message = "consensus did not answer in time; the outcome is unknown (a write may still commit)"
        case .failed:
            status = 500
            message = "the request failed"
        case .notMember:
            // 421 Misdirected Request: this node cannot serve it, and retrying here will not help.
            status = 421
            message = "this node is not a member of the cluster; send requests to a member"
        }
        // Consensus's own sentence says it best; the generic one stands in when it gave none.
        if !detail.isEmpty { message = detail }
        var json = JSONText()
        json.string("error", message)
        if reply.leader == 0 { json.null("leader") } else { json.number("leader", reply.leader) }
        var response = APIResponse(status: status, body: json.finish())
        if status == 503 { response.headers.append(("Retry-After", "1")) }
        return response
    }

    // MARK: - Key-value

    func put(key: String, value: [UInt8], on loop: EventLoop) throws(APIInputError) -> EventLoopFuture<APIResponse> {
        try checkBodySize(value.count)
        return ask(.put(key: key, value: value), on: loop) { result in
            guard case .written(let revision, let index, let term) = result else { return nil }
            var json = JSONText()
            json.string("key", key)
            json.number("revision", revision)
            json.number("index", index)
            json.number("term", term)
            return APIResponse(status: 200, body: json.finish())
        }
    }

    func get(key: String, stale: Bool, on loop: EventLoop) -> EventLoopFuture<APIResponse> {
        ask(.get(key: key, linearizable: !stale), notFound: "key \"\(key)\" not found", on: loop) { result in
            guard case .record(let record, let revision) = result else { return nil }
            var json = JSONText(capacity: 128 + record.value.count)
            Self.write(record, to: &json)
            json.number("revision", revision)
            return APIResponse(status: 200, body: json.finish())
        }
    }

    func delete(key: String, on loop: EventLoop) -> EventLoopFuture<APIResponse> {
        ask(.delete(key: key), on: loop) { result in
            let revision: UInt64, index: UInt64, term: UInt64
            switch result {
            case .written(let r, let i, let t): (revision, index, term) = (r, i, t)
            case .unchanged(_, _, let i, let t): (revision, index, term) = (0, i, t)  // the key did not exist
            default: return nil
            }
            var json = JSONText()
            json.string("key", key)
            json.bool("deleted", revision != 0)
            json.number("revision", revision)
            json.number("index", index)
            json.number("term", term)
            return APIResponse(status: 200, body: json.finish())
        }
    }

    func list(prefix: String, stale: Bool, on loop: EventLoop) -> EventLoopFuture<APIResponse> {
        ask(.list(prefix: prefix, linearizable: !stale), on: loop) { result in
            guard case .records(let records, let revision) = result else { return nil }
            var keys: [UInt8] = [UInt8(ascii: "[")]
            for (position, record) in records.enumerated() {
                if position > 0 { keys.append(UInt8(ascii: ",")) }
                var json = JSONText()
                Self.write(record, to: &json)
                keys += json.finish().dropLast()  // without the newline
            }
            keys.append(UInt8(ascii: "]"))
            var json = JSONText(capacity: keys.count + 64)
            json.number("revision", revision)
            json.number("count", UInt64(records.count))
            json.raw("keys", keys)
            return APIResponse(status: 200, body: json.finish())
        }
    }

    /// A record's fields: key, value (or value_base64 when it is not UTF-8), revisions, version.
    static func write(_ record: ClientKeyRecord, to json: inout JSONText) {
        json.string("key", record.key)
        writeBytes(record.value, name: "value", to: &json)
        json.number("create_revision", record.createRevision)
        json.number("mod_revision", record.modRevision)
        json.number("version", record.version)
    }

    /// `"name": text` when `bytes` are UTF-8, else `"name_base64": ...`.
    static func writeBytes(_ bytes: [UInt8], name: String, to json: inout JSONText) {
        if let text = String(validating: bytes, as: UTF8.self) {
            json.string(name, text)
        } else {
            json.string(name + "_base64", Data(bytes).base64EncodedString())
        }
    }

    func checkBodySize(_ count: Int) throws(APIInputError) {
        guard count <= maxBodyBytes else {
            throw APIInputError("the body is \(count) bytes, over api.max_value_bytes (\(maxBodyBytes))", status: 413)
        }
    }

    // MARK: - Command log

    func logAppend(_ data: [UInt8], on loop: EventLoop) throws(APIInputError) -> EventLoopFuture<APIResponse> {
        try checkBodySize(data.count)
        return ask(.logAppend(data: data), on: loop) { result in
            guard case .logRecord(let sequence, let index, let term, _) = result else { return nil }
            var json = JSONText()
            json.number("sequence", sequence)
            json.number("index", index)
            json.number("term", term)
            return APIResponse(status: 201, body: json.finish())
        }
    }

    func logGet(sequence: UInt64, stale: Bool, on loop: EventLoop) -> EventLoopFuture<APIResponse> {
        ask(.logGet(sequence: sequence, linearizable: !stale), notFound: "no log record with sequence \(sequence)", on: loop) { result in
            guard case .logRecord(let sequence, let index, let term, let data) = result else { return nil }
            var json = JSONText(capacity: 96 + data.count)
            json.number("sequence", sequence)
            json.number("index", index)
            json.number("term", term)
            Self.writeBytes(data, name: "data", to: &json)
            return APIResponse(status: 200, body: json.finish())
        }
    }

    func logTrim(through: UInt64, on loop: EventLoop) -> EventLoopFuture<APIResponse> {
        ask(.logTrim(through: through), on: loop) { result in
            guard case .logTrimmed(let through, let index, let term) = result else { return nil }
            var json = JSONText()
            json.number("trimmed_through", through)
            json.number("index", index)
            json.number("term", term)
            return APIResponse(status: 200, body: json.finish())
        }
    }

    func logStats(on loop: EventLoop) -> EventLoopFuture<APIResponse> {
        ask(.logStats, on: loop) { result in
            guard case .logStats(let count, let bytes, let first, let last, let lastIndex) = result else { return nil }
            var json = JSONText()
            json.number("count", count)
            json.number("bytes", bytes)
            json.number("first_sequence", first)
            json.number("last_sequence", last)
            json.number("last_index", lastIndex)
            return APIResponse(status: 200, body: json.finish())
        }
    }

    // MARK: - Membership

    /// The body of `POST /v1/members`.
    private struct AddMemberBody: Decodable {
        let id: Int64
        let address: String
    }

    /// The body of `POST /v1/leader/transfer`.
    private struct TransferBody: Decodable {
        let id: Int64?
    }

    func addMember(_ body: [UInt8], on loop: EventLoop) throws(APIInputError) -> EventLoopFuture<APIResponse> {
        let decoded = try Self.decode(AddMemberBody.self, from: body, what: "POST /v1/members", example: #"{"id": 4, "address": "10.0.0.4:7001"}"#)
        let id = try MemberArguments.nodeId(String(decoded.id), what: "field id")
        let address = try MemberArguments.address(decoded.address, what: "field address")
        return membership(.addNode(id: id, address: address), on: loop)
    }

    func transferLeader(_ body: [UInt8], on loop: EventLoop) throws(APIInputError) -> EventLoopFuture<APIResponse> {
        var id: UInt64 = 0
        if !body.isEmpty {
            let decoded = try Self.decode(TransferBody.self, from: body, what: "POST /v1/leader/transfer", example: #"{"id": 2}"#)
            if let raw = decoded.id, raw != 0 { id = try MemberArguments.nodeId(String(raw), what: "field id") }
        }
        return membership(.transferLeader(id: id), on: loop)
    }

    /// A membership change: `{"index":…, "term":…}` once committed (null when consensus gives no place).
    func membership(_ operation: ClientOperation, on loop: EventLoop) -> EventLoopFuture<APIResponse> {
        ask(operation, on: loop) { result in
            var json = JSONText()
            switch result {
            case .written(_, let index, let term):
                json.number("index", index)
                json.number("term", term)
            case .none:
                json.null("index")
                json.null("term")
            default:
                return nil
            }
            return APIResponse(status: 200, body: json.finish())
        }
    }

    /// Decodes a JSON body, turning every decoding error into a sentence naming the field.
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], what: String, example: String) throws(APIInputError) -> T {
        guard !body.isEmpty else { throw APIInputError("\(what) needs a JSON body, e.g. \(example)") }
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIInputError("the body of \(what) lacks field \"\(key.stringValue)\", e.g. \(example)")
        } catch let DecodingError.typeMismatch(expected, context) {
            throw APIInputError("field \"\(Self.path(context))\" of the body of \(what) must be \(Self.kind(expected))")
        } catch let DecodingError.valueNotFound(expected, context) {
            throw APIInputError("field \"\(Self.path(context))\" of the body of \(what) must be \(Self.kind(expected)), not null")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw APIInputError("field \"\(Self.path(context))\" of the body of \(what) is invalid: \(context.debugDescription)")
        } catch {
            throw APIInputError("the body of \(what) is not valid JSON, e.g. \(example)")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }

    private static func kind(_ type: Any.Type) -> String {
        type == String.self ? "a string" : (type == Int64.self || type == Int64?.self) ? "a whole number" : "\(type)"
    }
}

extension ClientOperation {
    /// The operation's name for messages, e.g. "put".
    var name: String {
        switch self {
        case .put: return "put"
        case .delete: return "delete"
        case .get: return "get"
        case .list: return "list"
        case .logAppend: return "log append"
        case .logGet: return "log get"
        case .logStats: return "log stats"
        case .logTrim: return "log trim"
        case .addNode: return "add node"
        case .removeNode: return "remove node"
        case .transferLeader: return "transfer leader"
        case .metrics: return "metrics"
        case .compareAndSet: return "compare-and-set"
        }
    }
}

import Foundation
import PGRaftBridge
import PGRaftKit
import PGRaftStateMachine
import PGRaftStorage
import PGRaftStorageProtocol
import RaftCore

/// Valid inputs of each target, made with pgraft's own encoders: where a fuzzing corpus starts, so
/// that mutations begin from well-formed frames, records and requests rather than noise.
enum FuzzSeeds {
    /// The seeds of `target`, by file name.
    static func seeds(of target: FuzzTarget) -> [String: [UInt8]] {
        switch target {
        case .peer:
            var append = Message(kind: .append, from: 1, to: 2, term: 3)
            append.entries = [Entry(term: 3, index: 7, data: Command.put(key: "k", value: Array("v".utf8)).encode())]
            let chunks = PeerChunking.frames(for: [UInt8](repeating: 7, count: PeerChunking.chunkBytes + 10)).prefix(1)
            return [
                "hello": Frame(type: PeerFrameType.hello, payload: PeerHello(clusterName: "demo", nodeId: 2).encoded()).encoded(),
                "hello-nonce": Frame(type: PeerFrameType.hello, payload: PeerHello(clusterName: "demo", nodeId: 2, nonce: [UInt8](repeating: 1, count: 32)).encoded()).encoded(),
                "challenge": Frame(type: PeerFrameType.challenge, payload: PeerChallenge(nodeId: 1, nonce: [UInt8](repeating: 2, count: 32), proof: [UInt8](repeating: 3, count: 32)).encoded()).encoded(),
                "refusal": Frame(type: PeerFrameType.refusal, payload: PeerRefusal("no", kind: .duplicate).encoded()).encoded(),
                "append": Frame(type: PeerFrameType.raft, payload: append.encode()).encoded(),
                "chunk": chunks.map { Array($0.encoded().prefix(256)) }.first ?? [],
                "members": Frame(type: HubFrameType.members, payload: HubMemberList(members: [(1, "127.0.0.1:7001"), (2, "[::1]:7002")]).encoded()).encoded(),
            ]
        case .client:
            return [
                "put": ClientRequest(id: 1, operation: .put(key: "k", value: Array("value".utf8))).encoded(),
                "get": ClientRequest(id: 2, operation: .get(key: "k", linearizable: true)).encoded(),
                "list": ClientRequest(id: 3, operation: .list(prefix: "pgraft/", linearizable: false)).encoded(),
                "append": ClientRequest(id: 4, operation: .logAppend(data: [1, 2, 3])).encoded(),
            ]
        case .storage:
            var record: [UInt8] = []
            RecordCodec.encode(LogEntry(term: 2, index: 5, data: Command.put(key: "k", value: [1]).encode()), into: &record)
            var machine = ReplicatedStateMachine(membership: ConfState(voters: [1, 2, 3]))
            _ = machine.apply(Entry(term: 1, index: 1, data: Command.put(key: "a", value: [9]).encode()))
            return [
                "record": record,
                "snapshot": SnapshotCodec.encode(StoredSnapshot(index: 9, term: 2, membership: ConfState(voters: [1, 2]).encode(), data: machine.snapshot())),
                "machine": machine.snapshot(),
                "command": Command.compareAndSet(key: "k", expectedRevision: 3, value: [1]).encode(),
                "topology": Array("primary=2 term=4 timeline=3 branch=4 start=0/3000060 parent=3".utf8),
            ]
        case .yaml:
            let example = (try? String(contentsOfFile: "etc/pgraft.yaml", encoding: .utf8)) ?? ""
            return [
                "minimal": Array("cluster_name: demo\nnode_id: 1\nlisten_port: 7001\ndata_dir: d\nrun_dir: r\nlog_dir: l\n".utf8),
                "example": Array(example.utf8),
                "tls": Array("cluster_name: d\nnode_id: 2\nlisten_port: 1\ndata_dir: d\nrun_dir: r\nlog_dir: l\ntls:\n  cert_file: a\n  key_file: b\n  ca_file: c\napi:\n  token_file: t\n  auth: reads\n".utf8),
            ]
        case .http:
            return [
                "put": Array("PUT /v1/kv/a%2Fb HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nAuthorization: Bearer abc\r\n\r\nabc".utf8),
                "get": Array("GET /v1/kv?prefix=p&stale=true HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
                "member": Array("POST /v1/members HTTP/1.1\r\nContent-Length: 36\r\n\r\n{\"id\":4,\"address\":\"127.0.0.1:7104\"}".utf8),
                "replica": Array("GET /replica?lag=16MB HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\n\r\n".utf8),
            ]
        }
    }

    /// Writes every target's seeds under `directory/TARGET/`.
    static func write(to directory: String) throws {
        for target in FuzzTarget.allCases {
            let folder = directory + "/" + target.rawValue
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (name, bytes) in seeds(of: target) {
                try Data(bytes).write(to: URL(fileURLWithPath: folder + "/seed-" + name))
            }
        }
    }
}

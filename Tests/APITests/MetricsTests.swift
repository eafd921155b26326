import Foundation
import PGRaftAPI
import PGRaftKit
import PGRaftClient
import Testing

/// `/metrics`: the Prometheus text format, from the segment and from consensus.
@Suite("metrics")
struct MetricsTests {
    static let figures = ConsensusMetrics(
        latencyCounts: [0, 1, 3, 3, 5, 6, 6, 6, 6, 6, 6, 7, 8], latencySumMs: 2_345.5,
        sentByKind: [("append", 10), ("heartbeat", 4)], receivedByKind: [("append_response", 9)])

    /// Every sample line: name, labels, value.
    static func samples(_ text: String) -> [(name: String, labels: String, value: Double)] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let parts = line.split(separator: " ")
            let series = parts[0]
            let brace = series.firstIndex(of: "{")
            return (
                String(series[..<(brace ?? series.endIndex)]), brace.map { String(series[$0...]) } ?? "",
                Double(parts.last!.replacingOccurrences(of: "+Inf", with: "inf")) ?? .nan
            )
        }
    }

    @Test func everyLine_isACommentOrAWellFormedSample() async throws {
        try await APIHarness.run { api in
            _ = try await api.startConsensus { operation in
                operation == .metrics ? .reply(.ok, leader: 1, .metrics(Self.figures)) : .silence
            }
            let response = try api.request("GET", "/metrics")
            #expect(response.status == 200)
            #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(decoding: response.body, as: UTF8.self)
            let sample = try Regex(#"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? [-+0-9.eEInf]+$"#)
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { continue }
                #expect(String(line).wholeMatch(of: sample) != nil, "\(line)")
            }
            let samples = Self.samples(text)
            func value(_ name: String, _ labels: String = "") -> Double? {
                samples.first { $0.name == name && $0.labels == labels }?.value
            }
            #expect(value("pgraft_term") == 7)
            #expect(value("pgraft_leader_id") == 1)
            #expect(value("pgraft_role", #"{role="leader"}"#) == 1)
            #expect(value("pgraft_role", #"{role="follower"}"#) == 0)
            #expect(value("pgraft_commit_index") == 40)
            #expect(value("pgraft_peer_match_index", #"{peer="2"}"#) == 40)
            #expect(value("pgraft_peer_lag_entries", #"{peer="3"}"#) == 12)
            #expect(value("pgraft_peer_lag_entries", #"{peer="1"}"#) == nil)
            #expect(value("pgraft_elections_total", #"{component="consensus"}"#) == 3)
            #expect(value("pgraft_proposals_total", #"{component="consensus"}"#) == 5)
            #expect(value("pgraft_raft_messages_sent_total", #"{type="append"}"#) == 10)
            #expect(value("pgraft_raft_messages_received_total", #"{type="append_response"}"#) == 9)
            #expect(value("pgraft_commit_latency_seconds_bucket", #"{le="0.0005"}"#) == 0)
            #expect(value("pgraft_commit_latency_seconds_bucket", #"{le="0.002"}"#) == 3)
            #expect(value("pgraft_commit_latency_seconds_sum") == 2.3455)
            #expect(value("pgraft_commit_latency_seconds_count") == 8)
            let buckets = samples.filter { $0.name == "pgraft_commit_latency_seconds_bucket" }
            #expect(buckets.count == ConsensusMetrics.latencyBucketsMs.count + 1)
            #expect(buckets.last?.labels == #"{le="+Inf"}"#)
            #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.value <= $1.value })
            #expect(buckets.last?.value == value("pgraft_commit_latency_seconds_count"))
            // One TYPE line per family, before its samples.
            let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
            #expect(Set(types).count == types.count)
        }
    }

    @Test func withoutConsensus_theSegmentFamiliesAreStillServed() async throws {
        try await APIHarness.run { api in
            api.consensus.start()
            let response = try api.request("GET", "/metrics")
            #expect(response.status == 200)
            let names = Set(Self.samples(String(decoding: response.body, as: UTF8.self)).map(\.name))
            #expect(names.contains("pgraft_term") && names.contains("pgraft_fsyncs_total"))
            #expect(!names.contains("pgraft_raft_messages_sent_total") && !names.contains("pgraft_commit_latency_seconds_count"))
        }
    }

    @Test func labelValues_areEscaped() {
        var text = MetricsText()
        text.counters([(component: "we\"ird\\na\nme", values: CounterKind.allCases.map { ($0, UInt64(1)) })])
        #expect(text.text.contains(#"pgraft_messages_sent_total{component="we\"ird\\na\nme"} 1"#))
    }

    @Test func onAFollower_peerFamiliesAreLeftOut() {
        var state = APIHarness.clusterState
        state.role = .follower
        let text = MetricsText.render(nodeId: 1, cluster: state, components: [], consensus: nil)
        #expect(!text.contains("pgraft_peer_"))
        #expect(text.contains(#"pgraft_role{role="follower"} 1"#))
    }
}

import ArgumentParser
import Foundation
import PGRaftBenchCore
import PGRaftKit

/// `pgraft-bench kv`: puts, then linearizable gets, against a cluster's HTTP API by many concurrent
/// clients, each with one request in flight on its own keep-alive connection. The same load drives
/// pgraft (`/v1/kv/{key}`) or etcd through its v3 JSON gateway (`/v3/kv/put`, `/v3/kv/range`), so the
/// two can be measured in one session on one machine.
struct KVBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "Measure puts and linearizable gets over HTTP against pgraft or etcd (v3 JSON gateway).")

    /// Which server speaks at the endpoints.
    enum Target: String, ExpressibleByArgument, CaseIterable {
        case pgraft, etcd
    }

    @Option(help: "Comma-separated host:port HTTP endpoints; clients are spread over them in turn.")
    var endpoints: String

    @Option(help: "The server at the endpoints: pgraft or etcd.")
    var target: Target = .pgraft

    @Option(help: "Concurrent clients (each one connection, one request in flight).")
    var clients: Int = 32

    @Option(help: "Seconds per phase (puts, then gets).")
    var seconds: Double = 10

    @Option(help: "Value size in bytes.")
    var valueSize: Int = 256

    @Option(help: "Distinct keys written and read.")
    var keySpace: Int = 10_000

    @Option(help: "Phases to run, comma-separated: put, get.")
    var phases: String = "put,get"

    func validate() throws {
        guard clients >= 1, clients <= 4096 else { throw ValidationError("--clients must be 1…4096, got \(clients)") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard valueSize >= 1, valueSize <= 1 << 20 else { throw ValidationError("--value-size must be 1…1048576") }
        guard keySpace >= 1 else { throw ValidationError("--key-space must be at least 1") }
        guard !addresses.isEmpty else { throw ValidationError("--endpoints needs at least one host:port") }
        for phase in phaseList where phase != "put" && phase != "get" {
            throw ValidationError("unknown phase '\(phase)' in --phases (put, get)")
        }
    }

    var addresses: [(host: String, port: Int)] {
        endpoints.split(separator: ",").compactMap { item in
            guard let colon = item.lastIndex(of: ":"), let port = Int(item[item.index(after: colon)...]) else { return nil }
            return (String(item[..<colon]), port)
        }
    }

    var phaseList: [String] { phases.split(separator: ",").map(String.init) }

    func run() throws {
        print("kv benchmark: \(target.rawValue) at \(endpoints), \(clients) clients, \(valueSize)-byte values, \(keySpace) keys, \(seconds) s per phase")
        print("")
        print("phase   ops/s       p50 ms   p99 ms   p99.9 ms  errors")
        for phase in phaseList {
            let result = try runPhase(put: phase == "put")
            print(
                phase.padding(toLength: 6, withPad: " ", startingAt: 0) + String(format: "%10.0f %8.3f %8.3f %10.3f  %d", result.opsPerSecond,
                    result.p50 * 1000, result.p99 * 1000, result.p999 * 1000, result.errors))
            if let sample = result.sampleError { print("        first error: \(sample)") }
        }
    }

    struct PhaseResult {
        var opsPerSecond: Double
        var p50: Double
        var p99: Double
        var p999: Double
        var errors: Int
        var sampleError: String?
    }

    private func runPhase(put: Bool) throws -> PhaseResult {
        let value = [UInt8](repeating: UInt8(ascii: "v"), count: valueSize)
        let collector = Collector()
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = start + UInt64(seconds * 1e9)
        let group = DispatchGroup()
        let addresses = self.addresses
        let target = self.target
        let keySpace = self.keySpace
        for client in 0..<clients {
            group.enter()
            let address = addresses[client % addresses.count]
            Thread.detachNewThread {
                defer { group.leave() }
                var latencies: [Double] = []
                latencies.reserveCapacity(100_000)
                var errors = 0
                var sample: String?
                var random = SystemRandomNumberGenerator()
                var connection: BlockingHTTPClient.Connection?
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    let key = "bench-\(Int.random(in: 0..<keySpace, using: &random))"
                    let request = KVRequest.make(target: target, put: put, key: key, value: value, host: address.host)
                    let began = DispatchTime.now().uptimeNanoseconds
                    do {
                        if connection == nil { connection = try BlockingHTTPClient(host: address.host, port: address.port, timeoutSeconds: 30).open() }
                        let response = try connection!.roundTrip(request)
                        let status = response.status
                        let body = String(decoding: response.body, as: UTF8.self)
                        let ok = status == 200 || (status == 404 && !put)
                        if ok && !(target == .etcd && body.contains(#""error""#)) {
                            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9)
                        } else {
                            errors += 1
                            if sample == nil { sample = "HTTP \(status): \(body.prefix(200))" }
                        }
                    } catch {
                        errors += 1
                        if sample == nil { sample = "\(error)" }
                        connection = nil
                    }
                }
                collector.add(latencies, errors: errors, sample: sample)
            }
        }
        group.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let (latencies, errors, sample) = collector.result
        let sorted = latencies.sorted()
        return PhaseResult(
            opsPerSecond: Double(sorted.count) / elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99),
            p999: percentile(sorted, 99.9), errors: errors, sampleError: sample)
    }
}

/// Gathers the clients' figures.
private final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies: [Double] = []
    private var errors = 0
    private var sample: String?

    func add(_ more: [Double], errors more_errors: Int, sample more_sample: String?) {
        lock.withLock {
            latencies += more
            errors += more_errors
            if sample == nil { sample = more_sample }
        }
    }

    var result: ([Double], Int, String?) { lock.withLock { (latencies, errors, sample) } }
}

/// The bytes of one HTTP request of the benchmark, for either server.
enum KVRequest {
    static func make(target: KVBench.Target, put: Bool, key: String, value: [UInt8], host: String) -> [UInt8] {
        switch (target, put) {
        case (.pgraft, true):
            return head("PUT", "/v1/kv/\(key)", host: host, length: value.count) + value
        case (.pgraft, false):
            return head("GET", "/v1/kv/\(key)", host: host, length: nil)
        case (.etcd, true):
            let body = Array(#"{"key":"\#(base64(Array(key.utf8)))","value":"\#(base64(value))"}"#.utf8)
            return head("POST", "/v3/kv/put", host: host, length: body.count) + body
        case (.etcd, false):
            let body = Array(#"{"key":"\#(base64(Array(key.utf8)))"}"#.utf8)
            return head("POST", "/v3/kv/range", host: host, length: body.count) + body
        }
    }

    private static func head(_ method: String, _ path: String, host: String, length: Int?) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        if let length { text += "Content-Length: \(length)\r\nContent-Type: application/octet-stream\r\n" }
        return Array((text + "\r\n").utf8)
    }

    private static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}

import ArgumentParser
import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

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
                var connection: HTTPConnection?
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    let key = "bench-\(Int.random(in: 0..<keySpace, using: &random))"
                    let request = KVRequest.make(target: target, put: put, key: key, value: value, host: address.host)
                    let began = DispatchTime.now().uptimeNanoseconds
                    do {
                        if connection == nil { connection = try HTTPConnection(host: address.host, port: address.port) }
                        let (status, body) = try connection!.roundTrip(request)
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

/// A blocking keep-alive HTTP/1.1 connection that sends one request and reads one response
/// (Content-Length or chunked bodies).
final class HTTPConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let first = info else {
            throw Failure(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(info) }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "connect \(host):\(port): \(String(cString: strerror(code)))")
        }
    }

    deinit { close(fd) }

    /// Sends `request` and returns the status and body of the response.
    func roundTrip(_ request: [UInt8]) throws -> (Int, String) {
        var offset = 0
        while offset < request.count {
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += n
        }
        let headerEnd = try readUntil(Array("\r\n\r\n".utf8))
        let header = String(decoding: buffer[..<headerEnd], as: UTF8.self)
        buffer.removeFirst(headerEnd + 4)
        let lines = header.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2,
            let status = Int(statusLine.split(separator: " ")[1])
        else { throw Failure(description: "bad status line: \(lines.first ?? "")") }
        var length = 0
        var chunked = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased()
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int(value) ?? 0 }
            if name == "transfer-encoding" && value.lowercased().contains("chunked") { chunked = true }
        }
        var body: [UInt8] = []
        if chunked {
            while true {
                let lineEnd = try readUntil(Array("\r\n".utf8))
                let size = Int(String(decoding: buffer[..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
                buffer.removeFirst(lineEnd + 2)
                try fill(size + 2)
                body += buffer[..<size]
                buffer.removeFirst(size + 2)
                if size == 0 { break }
            }
        } else {
            try fill(length)
            body = Array(buffer[..<length])
            buffer.removeFirst(length)
        }
        return (status, String(decoding: body, as: UTF8.self))
    }

    private func readUntil(_ marker: [UInt8]) throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= marker.count {
                var i = searchFrom
                while i + marker.count <= buffer.count {
                    if buffer[i] == marker[0] && Array(buffer[i..<(i + marker.count)]) == marker { return i }
                    i += 1
                }
                searchFrom = max(0, buffer.count - marker.count + 1)
            }
            try readMore()
        }
    }

    private func fill(_ count: Int) throws {
        while buffer.count < count { try readMore() }
    }

    private func readMore() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw Failure(description: n == 0 ? "the server closed the connection" : "recv failed: errno \(errno)") }
        buffer += chunk[..<n]
    }
}

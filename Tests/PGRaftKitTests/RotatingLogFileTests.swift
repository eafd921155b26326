import Foundation
import Testing

@testable import PGRaftKit

@Suite struct RotatingLogFileTests {
    @Test func theFileRotatesBySizeAndKeepsTheConfiguredNumberOfOldFiles() throws {
        let directory = NSTemporaryDirectory() + "pgraft-log-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/api.log"
        let log = try RotatingLogFile(path: path, maxBytes: 100, keep: 2)
        for i in 0..<10 {
            log.append(Array("line 0\(i) \(String(repeating: "x", count: 30))\n".utf8))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files == ["api.log", "api.log.1", "api.log.2"])
        for file in files {
            let size = try FileManager.default.attributesOfItem(atPath: directory + "/" + file)[.size] as! Int
            #expect(size <= 100)
        }
        let newest = try String(contentsOfFile: path, encoding: .utf8)
        #expect(newest.hasSuffix("line 09 \(String(repeating: "x", count: 30))\n"))
        let older = try String(contentsOfFile: path + ".1", encoding: .utf8)
        #expect(older.contains("line 07") || older.contains("line 06"))
    }

    @Test func aBatchLargerThanTheLimitIsSplitAtLineEndsAndNoFileGrowsPastIt() throws {
        let directory = NSTemporaryDirectory() + "pgraft-log-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/flood.log"
        let log = try RotatingLogFile(path: path, maxBytes: 100, keep: 20)
        let lines = (0..<50).map { "line \($0 < 10 ? "0" : "")\($0)\n" }
        log.append(Array(lines.joined().utf8))
        log.append(Array((String(repeating: "z", count: 250) + "\n").utf8))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        var contents: [(Int, String)] = []
        for file in files {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            #expect(text.utf8.count <= 100, "\(file) has \(text.utf8.count) bytes")
            contents.append((file == "flood.log" ? 0 : Int(file.split(separator: ".").last!)!, text))
        }
        let joined = contents.sorted { $0.0 > $1.0 }.map(\.1).joined()
        #expect(joined == lines.joined() + String(repeating: "z", count: 250) + "\n")
    }

    @Test func reopeningAppendsToTheExistingFile() throws {
        let path = NSTemporaryDirectory() + "pgraft-log-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try RotatingLogFile(path: path, maxBytes: 1000, keep: 1).append(Array("a\n".utf8))
        try RotatingLogFile(path: path, maxBytes: 1000, keep: 1).append(Array("b\n".utf8))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a\nb\n")
    }
}

import Foundation
import PGRaftTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension EndToEnd {
    /// The libFuzzer harnesses of every decoder of untrusted bytes (`Sources/pgraft-fuzz`,
    /// `contrib/fuzz`): the committed corpus, crashes found included, replays cleanly, and the
    /// harnesses build with libFuzzer and AddressSanitizer and run.
    @Suite final class FuzzHarnessTests {
        static let targets = ["peer", "client", "storage", "yaml", "http"]

        /// The repository's root, from this file's path.
        static let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

        @Test func everyCommittedInputReplaysWithoutACrash() throws {
            for target in Self.targets {
                let corpus = Self.root + "/Tests/FuzzCorpus/" + target
                let inputs = try FileManager.default.contentsOfDirectory(atPath: corpus).count
                #expect(inputs > 0, "\(target) has no committed corpus")
                let replay = try CommandResult.run(BuildProducts.path("pgraft-fuzz"), [target, corpus])
                #expect(replay.status == 0, "\(target): \(replay.stderr)")
                #expect(replay.stdout.contains("\(target): \(inputs) inputs replayed"), "\(replay.stdout)")
            }
        }

        @Test func theHarnessesBuildWithLibFuzzerAndRunEachTarget() throws {
            // A debug build keeps CI's build short; five seconds a target is a smoke run, not a campaign.
            // A crash found here is kept in a scratch directory, not in the source tree.
            let crashes = NSTemporaryDirectory() + "pgraft-fuzz-crashes-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: crashes) }
            let run = try CommandResult.run(
                "/usr/bin/env", ["bash", Self.root + "/contrib/fuzz", "--seconds", "5", "--config", "debug", "--crashes", crashes])
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr.suffix(4000))")
            for target in Self.targets {
                let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("\(target): ") } ?? ""
                #expect(line.hasPrefix("\(target): ok, "), "\(run.stdout)")
                let executions = line.split(separator: " ").dropFirst(2).first.flatMap { Int($0) } ?? 0
                #expect(executions > 0, "\(target) ran nothing: \(line)")
            }
        }
    }
}

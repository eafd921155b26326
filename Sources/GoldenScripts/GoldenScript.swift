import Foundation
import RaftCore

/// Golden scenario scripts shared by the test targets that walk `testdata/*.txt`: the file
/// format, the check against the expected output, its refresh, and the one printed form of a
/// Raft message, so that every script reads the same way.
///
/// A script is a sequence of blocks separated by blank lines: command lines (lines starting with
/// `#` are comments), a `----` line, and the expected output of those commands. Running a
/// script replays its commands and prints the block again with the actual output; with
/// `RAFT_REWRITE=1` in the environment the file is rewritten with it, to be reviewed as a diff.
public enum GoldenScript {
    /// The environment variable that, set to `1`, rewrites every script with its actual output.
    public static let rewriteVariable = "RAFT_REWRITE"

    /// The scripts of one `testdata` folder.
    public struct Testdata: Sendable {
        /// The folder.
        public let directory: String
        /// Its `.txt` scripts, sorted by name.
        public let scripts: [String]

        /// The `testdata` folder next to the source file `filePath` (pass `#filePath`).
        public init(besides filePath: String) {
            directory = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("testdata").path
            scripts = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
        }

        /// The path of `script`, one of ``scripts``.
        public func path(_ script: String) -> String { directory + "/" + script }
    }

    /// Why a script's actual output differs from the golden one: the first line that differs,
    /// and how to refresh; nil when they are equal.
    public static func difference(_ name: String, expected: String, actual: String) -> String? {
        guard expected != actual else { return nil }
        let (e, a) = (expected.split(separator: "\n", omittingEmptySubsequences: false), actual.split(separator: "\n", omittingEmptySubsequences: false))
        let line = (0..<min(e.count, a.count)).first { e[$0] != a[$0] } ?? min(e.count, a.count)
        let show = { (lines: [Substring]) in line < lines.count ? "\"\(lines[line])\"" : "the end" }
        return "\(name):\(line + 1): expected \(show(e)), got \(show(a)); if the change is meant, rerun with \(rewriteVariable)=1 and review the diff"
    }

    /// Replays the script at `file`, each command through `run` (which returns its output
    /// lines), and returns the text as written and as it would be with the actual output.
    /// Rewrites the file when ``rewriteVariable`` is set.
    public static func check(file: String, run: (String) -> [String]) throws -> (expected: String, actual: String) {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var actual = ""
        for block in text.components(separatedBy: "\n\n") where !block.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let header = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).prefix { $0 != "----" }
            let output = header.filter { !$0.hasPrefix("#") && !$0.isEmpty }.flatMap(run)
            actual += header.joined(separator: "\n") + "\n----\n" + output.joined(separator: "\n") + "\n\n"
        }
        if ProcessInfo.processInfo.environment[rewriteVariable] == "1" {
            try actual.write(toFile: file, atomically: true, encoding: .utf8)
        }
        return (text, actual)
    }

    /// `m` on one line: sender, receiver, kind and term, then what its kind carries
    /// (`1->2 append term=2 prev=1/1 commit=1 entries=[2/2]`).
    public static func describe(_ m: Message) -> String {
        var s = "\(m.from)->\(m.to) \(m.kind) term=\(m.term)"
        switch m.kind {
        case .append:
            s += " prev=\(m.index)/\(m.logTerm) commit=\(m.commit) entries=\(describe(m.entries))"
        case .appendResponse:
            s += m.reject ? " reject index=\(m.index) hint=\(m.rejectHint)/\(m.logTerm)" : " index=\(m.index)"
        case .vote, .preVote:
            s += " last=\(m.index)/\(m.logTerm)"
        case .voteResponse, .preVoteResponse:
            s += m.reject ? " rejected" : " granted"
        case .heartbeat:
            s += " commit=\(m.commit)"
        case .snapshot:
            s += " snapshot=\(m.snapshot?.metadata.index ?? 0)/\(m.snapshot?.metadata.term ?? 0)"
        case .readIndexResponse:
            s += " index=\(m.index)"
        default:
            break
        }
        return s
    }

    /// Entries as `[index/term …]`.
    public static func describe(_ entries: [Entry]) -> String {
        "[\(entries.map { "\($0.index)/\($0.term)" }.joined(separator: " "))]"
    }
}

import GoldenScripts
import Testing

@Suite("Scenario scripts (testdata/*.txt, golden output; RAFT_REWRITE=1 refreshes)")
struct ScenarioTests {
    static let directory = GoldenScript.testdata(besides: #filePath)
    static let scripts = GoldenScript.scripts(in: directory)

    @Test("golden scenario", arguments: scripts)
    func scenario(_ name: String) throws {
        let (expected, actual) = try ScriptRunner.check(file: Self.directory + "/" + name)
        #expect(expected == actual, "\(name) differs; rerun with RAFT_REWRITE=1 and review the diff")
    }
}

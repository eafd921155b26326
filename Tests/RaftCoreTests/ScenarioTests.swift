import GoldenScripts
import Testing

@Suite("Scenario scripts (testdata/*.txt, golden output; RAFT_REWRITE=1 refreshes)")
struct ScenarioTests {
    static let testdata = GoldenScript.Testdata(besides: #filePath)

    @Test("golden scenario", arguments: testdata.scripts)
    func scenario(_ name: String) throws {
        let (expected, actual) = try ScriptRunner.check(file: Self.testdata.path(name))
        #expect(expected == actual, "\(GoldenScript.difference(name, expected: expected, actual: actual) ?? "")")
    }
}

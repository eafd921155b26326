import GoldenScripts
import Testing

/// Every script in `testdata/` (commands in ``NodeScript``) replayed against its golden output.
///
/// After a deliberate change of behaviour, refresh the outputs with
/// `RAFT_REWRITE=1 swift test --filter NodeMachineTests` and review the scripts' diff before
/// committing it: the diff is the change of behaviour.
@Suite("NodeMachine scenario scripts (testdata/*.txt, golden output; RAFT_REWRITE=1 refreshes)")
struct NodeScenarioTests {
    static let testdata = GoldenScript.Testdata(besides: #filePath)

    @Test("golden scenario", arguments: testdata.scripts)
    func scenario(_ name: String) throws {
        let (expected, actual) = try NodeScript.check(file: Self.testdata.path(name))
        #expect(expected == actual, "\(GoldenScript.difference(name, expected: expected, actual: actual) ?? "")")
    }

    @Test("there are scripts to run")
    func scriptsExist() {
        #expect(Self.testdata.scripts.count >= 5)
    }
}

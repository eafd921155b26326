import GoldenScripts
import Testing

/// Every script in `testdata/` (commands in ``NodeScript``) replayed against its golden output.
///
/// After a deliberate change of behaviour, refresh the outputs with
/// `RAFT_REWRITE=1 swift test --filter NodeMachineTests` and review the scripts' diff before
/// committing it: the diff is the change of behaviour.
@Suite("NodeMachine scenario scripts (testdata/*.txt, golden output; RAFT_REWRITE=1 refreshes)")
struct NodeScenarioTests {
    static let directory = GoldenScript.testdata(besides: #filePath)
    static let scripts = GoldenScript.scripts(in: directory)

    @Test("golden scenario", arguments: scripts)
    func scenario(_ name: String) throws {
        let (expected, actual) = try NodeScript.check(file: Self.directory + "/" + name)
        #expect(expected == actual, "\(name) differs; rerun with RAFT_REWRITE=1 and review the diff")
    }

    @Test("there are scripts to run")
    func scriptsExist() {
        #expect(Self.scripts.count >= 5)
    }
}

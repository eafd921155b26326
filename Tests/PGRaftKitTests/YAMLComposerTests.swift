import Testing

@testable import PGRaftKit

@Suite("YAMLComposer: libyaml's events as positioned nodes, repeated keys refused where they are")
struct YAMLComposerTests {
    /// The tree as text: `text@line:column` for a plain scalar, `'text'@…` for any other, `[…]@…`, `{key: value, …}@…`.
    private func describe(_ node: YAMLNode?) -> String {
        guard let node else { return "nil" }
        let at = "@\(node.position.line):\(node.position.column)"
        switch node.content {
        case .scalar(let text, let isPlain, _):
            return (isPlain ? text : "'\(text)'") + at
        case .sequence(let items):
            return "[" + items.map(describe).joined(separator: ", ") + "]" + at
        case .mapping(let pairs):
            return "{" + pairs.map { describe($0.key) + ": " + describe($0.value) }.joined(separator: ", ") + "}" + at
        }
    }

    private func problems(_ text: String) -> [String] {
        YAMLComposer.compose(text).problems.map { problem in
            (problem.position.map { "\($0.line):\($0.column): " } ?? "") + problem.message
        }
    }

    @Test func nodesCarryOneBasedPositionsAndWhetherTheyArePlain() {
        let (root, problems) = YAMLComposer.compose("a: 1\nb: 'x'\nc:\n  - \"y\"\n  - |\n    z\n  - {d: [e]}\n")
        #expect(problems.isEmpty)
        #expect(describe(root) == "{a@1:1: 1@1:4, b@2:1: 'x'@2:4, c@3:1: ['y'@4:5, 'z\n'@5:5, {d@7:6: [e@7:10]@7:9}@7:5]@4:3}@1:1")
    }

    @Test func explicitTagsAreResolved() {
        guard case .mapping(let pairs) = YAMLComposer.compose("a: !!str 1\nb: !local 2\nc: 3\n").root?.content else {
            Issue.record("not a mapping")
            return
        }
        let tags = pairs.map { pair -> String? in
            guard case .scalar(_, _, let tag) = pair.value.content else { return "not a scalar" }
            return tag
        }
        #expect(tags == ["tag:yaml.org,2002:str", "!local", nil])
    }

    @Test func aRepeatedKeyIsRefusedAtItsOwnPositionAndLeftOut() {
        let nested = "a:\n  b: 1\n  c:\n    d: 1\n    e: 2\n    d: 3\n  b: 4\n"
        #expect(problems(nested) == [
            "6:5: duplicate key 'd' (first defined at line 4)",
            "7:3: duplicate key 'b' (first defined at line 2)",
        ])
        #expect(describe(YAMLComposer.compose(nested).root) == "{a@1:1: {b@2:3: 1@2:6, c@3:3: {d@4:5: 1@4:8, e@5:5: 2@5:8}@4:5}@2:3}@1:1")
        let items = "- {id: 1, id: 2}\n- id: 3\n  x: 1\n  'id': 4\n"
        #expect(problems(items) == [
            "1:11: duplicate key 'id' (first defined at line 1)",
            "4:3: duplicate key 'id' (first defined at line 2)",
        ])
        #expect(describe(YAMLComposer.compose(items).root) == "[{id@1:4: 1@1:8}@1:3, {id@2:3: 3@2:7, x@3:3: 1@3:6}@2:3]@1:1")
        // The same key in different mappings is no repeat.
        #expect(problems("- a: 1\n- a: 2\n").isEmpty)
        #expect(problems("x: {a: 1}\ny: {a: 1}\n").isEmpty)
    }

    @Test func syntaxErrorsEndComposingWithLibyamlsPositionAndContext() {
        let (root, problems) = YAMLComposer.compose("a: [1, 2\nb: 3\n")
        #expect(root == nil)
        #expect(problems == [
            YAMLComposer.Problem(
                position: ConfigPosition(line: 2, column: 2),
                message: "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)")
        ])
        #expect(self.problems("a: b: c\n") == ["1:5: invalid YAML: mapping values are not allowed in this context"])
        #expect(self.problems("a:\n\tb: 1\n") == ["2:1: invalid YAML: a tab character; YAML must be indented with spaces"])
    }

    @Test func anAliasIsItsAnchorsNodeAtTheAliasPosition() {
        let (root, problems) = YAMLComposer.compose("base: &b {x: 1}\nuse: *b\nn: &n 5\nm: *n\n")
        #expect(problems.isEmpty)
        #expect(describe(root) == "{base@1:1: {x@1:11: 1@1:14}@1:7, use@2:1: {x@1:11: 1@1:14}@2:6, n@3:1: 5@3:4, m@4:1: 5@4:4}@1:1")
    }

    @Test func anAliasWithoutAnAnchorBeforeItEndsComposing() {
        #expect(YAMLComposer.compose("a: *b\nb: &b 1\n").root == nil)
        #expect(problems("a: *b\nb: &b 1\n") == ["1:4: invalid YAML: the alias '*b' has no anchor '&b' defined before it"])
        // A node cannot contain an alias of itself: its anchor counts once the node is complete.
        #expect(problems("a: &s\n  b: *s\n") == ["2:6: invalid YAML: the alias '*s' has no anchor '&s' defined before it"])
    }

    @Test func emptyStreamsAndEmptyDocuments() {
        for text in ["", "# only a comment\n", "\n\n"] {
            let (root, problems) = YAMLComposer.compose(text)
            #expect(root == nil && problems.isEmpty, "\(text.debugDescription)")
        }
        #expect(describe(YAMLComposer.compose("---\n").root) == "@2:1")
        #expect(describe(YAMLComposer.compose("--- 5\n").root) == "5@1:5")
    }

    @Test func aSecondDocumentIsRefusedWhereItStarts() {
        let (root, problems) = YAMLComposer.compose("a: 1\n...\n--- 2\n")
        #expect(root == nil)
        #expect(problems.map(\.position) == [ConfigPosition(line: 3, column: 1)])
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: YAMLComposer.maxDepth + 1) + String(repeating: "]", count: YAMLComposer.maxDepth + 1)
        #expect(problems(deep) == ["1:\(YAMLComposer.maxDepth + 1): invalid YAML: lists and mappings nested more than 100 levels deep"])
        let deepest = String(repeating: "[", count: YAMLComposer.maxDepth) + String(repeating: "]", count: YAMLComposer.maxDepth)
        #expect(problems(deepest).isEmpty)
    }
}

import Yams

/// A 1-based line and column in the configuration text (Yams' `Mark` cannot be made outside Yams).
struct ConfigPosition: Equatable {
    let line: Int
    let column: Int

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    init(_ mark: Yams.Mark) {
        self.init(line: mark.line, column: mark.column)
    }

    /// Where `node` starts, when Yams knows.
    init?(_ node: Yams.Node?) {
        guard let mark = node?.mark else { return nil }
        self.init(mark)
    }
}

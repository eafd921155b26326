/// A 1-based line and column (in Unicode scalars) in the configuration text.
struct ConfigPosition: Equatable {
    let line: Int
    let column: Int

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// A plain text table with left-aligned columns, separated by two spaces.
public struct Table: Sendable {
    /// The column titles.
    public let header: [String]
    /// The rows, each with as many cells as the header.
    public let rows: [[String]]

    /// A table of `rows` under `header`.
    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    /// The table as lines (no trailing newline; the last column is not padded).
    public func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index])
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }
}

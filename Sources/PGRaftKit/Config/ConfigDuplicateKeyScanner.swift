/// Finds duplicate keys of block-style mappings by reading the text line by line.
///
/// Yams refuses a document with a duplicate key as a whole, naming one key at an imprecise position.
/// This scanner names each repeated key at its own line and column together with its first definition,
/// and says which lines to blank out (keeping every other line's position) so the rest of the file
/// can still be composed and checked. Flow mappings (`{a: 1, a: 2}`) are left to Yams' own report.
enum ConfigDuplicateKeyScanner {
    /// One repeated key.
    struct Duplicate: Equatable {
        let key: String
        /// 1-based position of the repeated key.
        let line: Int
        let column: Int
        /// 1-based line of the key's first definition in the same mapping.
        let firstLine: Int
        /// 0-based indexes of the lines holding the repeated key and its value.
        let lines: Range<Int>
    }

    private struct OpenMapping {
        let column: Int
        var keys: [String: Int] = [:]
    }

    /// The duplicates in `text`.
    static func scan(_ text: String) -> [Duplicate] {
        let lines = splitLines(text).map { line in line.last == "\r" ? Array(line.dropLast()) : line }
        var found: [Duplicate] = []
        var stack: [OpenMapping] = []
        var blockScalarParent: Int?
        for (index, scalars) in lines.enumerated() {
            var column = 0
            while column < scalars.count, scalars[column] == " " { column += 1 }
            let isBlank = column == scalars.count || scalars[column] == "#"
            if let parent = blockScalarParent {
                if isBlank || column > parent { continue }
                blockScalarParent = nil
            }
            if isBlank { continue }
            if scalars.starts(with: "---".unicodeScalars) || scalars.starts(with: "...".unicodeScalars) {
                stack.removeAll()
                continue
            }
            // Sequence entries ("- ") each start a new mapping.
            var startsItem = false
            while column < scalars.count, scalars[column] == "-",
                column + 1 == scalars.count || scalars[column + 1] == " "
            {
                startsItem = true
                column += 1
                while column < scalars.count, scalars[column] == " " { column += 1 }
            }
            guard let (key, valueStart) = key(in: scalars, from: column) else {
                if column < scalars.count, scalars[column] == "|" || scalars[column] == ">" {
                    blockScalarParent = column - 1
                }
                stack.removeAll { $0.column > column || (startsItem && $0.column >= column) }
                continue
            }
            stack.removeAll { $0.column > column || (startsItem && $0.column >= column) }
            if stack.last?.column != column { stack.append(OpenMapping(column: column)) }
            if let first = stack[stack.count - 1].keys[key] {
                var end = index + 1
                while end < lines.count {
                    let next = lines[end]
                    var indent = 0
                    while indent < next.count, next[indent] == " " { indent += 1 }
                    if indent < next.count, next[indent] != "#", indent <= column { break }
                    end += 1
                }
                found.append(Duplicate(key: key, line: index + 1, column: column + 1, firstLine: first, lines: index..<end))
            } else {
                stack[stack.count - 1].keys[key] = index + 1
            }
            var rest = valueStart
            while rest < scalars.count, scalars[rest] == " " { rest += 1 }
            if rest < scalars.count, scalars[rest] == "|" || scalars[rest] == ">" { blockScalarParent = column }
        }
        return found
    }

    /// `text` with the given 0-based lines emptied, all other lines unchanged.
    static func blanking(_ text: String, lines: [Range<Int>]) -> String {
        var all = splitLines(text)
        for range in lines {
            for index in range where index < all.count { all[index] = [] }
        }
        var result = String.UnicodeScalarView()
        for (index, line) in all.enumerated() {
            if index > 0 { result.append("\n") }
            result.append(contentsOf: line)
        }
        return String(result)
    }

    /// The lines of `text` as Unicode scalars, split at each LF (a CR before it stays in the line).
    private static func splitLines(_ text: String) -> [[Unicode.Scalar]] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(Array.init)
    }

    /// The key starting at `start` and the index after its `:`, when the line is `key: …`.
    private static func key(in scalars: [Unicode.Scalar], from start: Int) -> (String, Int)? {
        guard start < scalars.count else { return nil }
        var index = start
        var key = ""
        let first = scalars[start]
        if first == "\"" || first == "'" {
            index += 1
            while index < scalars.count, scalars[index] != first {
                if first == "\"", scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
                key.unicodeScalars.append(scalars[index])
                index += 1
            }
            guard index < scalars.count else { return nil }
            index += 1
            while index < scalars.count, scalars[index] == " " { index += 1 }
            guard index < scalars.count, scalars[index] == ":" else { return nil }
        } else {
            if "{[&*!|>%@`#".unicodeScalars.contains(first) { return nil }
            while index < scalars.count {
                if scalars[index] == ":", index + 1 == scalars.count || scalars[index + 1] == " " { break }
                if scalars[index] == "#", index > start, scalars[index - 1] == " " { return nil }
                index += 1
            }
            guard index < scalars.count else { return nil }
            key = String(String.UnicodeScalarView(scalars[start..<index])).trimmingTrailingSpaces()
        }
        return (key, index + 1)
    }
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.hasSuffix(" ") { result.removeLast() }
        return result
    }
}

/// "Did you mean …?" for misspelt keys, by edit distance (with transpositions, so `listen_prot`
/// is one edit from `listen_port`).
enum ConfigKeySuggestion {
    /// The message for the unknown `key` of a mapping whose keys are `known`.
    static func unknownKeyMessage(_ key: String, known: [String]) -> String {
        if let suggestion = suggestion(for: key, among: known) {
            return "unknown key '\(key)'; did you mean '\(suggestion)'?"
        }
        return "unknown key '\(key)'; expected one of: " + known.joined(separator: ", ")
    }

    /// The known key closest to `key`, when it is close enough to be a likely typo.
    static func suggestion(for key: String, among known: [String]) -> String? {
        let lowered = key.lowercased()
        var best: (key: String, distance: Int)?
        for candidate in known {
            let distance = editDistance(lowered, candidate)
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let limit = max(2, min(key.count, best.key.count) / 3)
        return best.distance <= limit ? best.key : nil
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs), b = Array(rhs)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, table[i - 2][j - 2] + 1)
                }
                table[i][j] = value
            }
        }
        return table[a.count][b.count]
    }
}

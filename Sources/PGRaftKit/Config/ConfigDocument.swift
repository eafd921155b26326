import Yams

/// Turns configuration text into a `Yams.Node` tree, converting Yams' syntax errors into
/// positioned `ConfigError`s and reporting every duplicate key rather than just one.
enum ConfigDocument {
    /// The root node of `yaml`, or nil after recording why there is none in `reader`.
    static func compose(_ yaml: String, reader: inout ConfigReader) -> Yams.Node? {
        var text = yaml
        // Each round removes the duplicates found; more rounds than lines cannot be needed.
        for _ in 0...yaml.utf8.count {
            do {
                guard let root = try Yams.compose(yaml: text), ConfigValueKind(root) != .null else {
                    if reader.errors.isEmpty {
                        reader.errorWithoutPosition("the file is empty; expected a mapping of settings such as cluster_name, node_id, listen_port, data_dir, run_dir and log_dir")
                    }
                    return nil
                }
                return root
            } catch let error as YamlError {
                if case .duplicatedKeysInMapping(let keys, let context) = error {
                    let duplicates = ConfigDuplicateKeyScanner.scan(text)
                    if duplicates.isEmpty {
                        let names = keys.map { "'\($0)'" }.joined(separator: ", ")
                        reader.error(ConfigPosition(context.mark), "duplicate key \(names) in a mapping")
                        return nil
                    }
                    for duplicate in duplicates {
                        reader.error(
                            ConfigPosition(line: duplicate.line, column: duplicate.column),
                            "duplicate key '\(duplicate.key)' (first defined at line \(duplicate.firstLine))")
                    }
                    text = ConfigDuplicateKeyScanner.blanking(text, lines: duplicates.map(\.lines))
                    continue
                }
                record(error, yaml: yaml, reader: &reader)
                return nil
            } catch {
                reader.errorWithoutPosition("cannot parse the YAML: \(error)")
                return nil
            }
        }
        return nil
    }

    /// The Unicode scalar at 1-based `mark` of `text`, if there is one.
    private static func character(at mark: Yams.Mark, in text: String) -> Unicode.Scalar? {
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let line = Array(lines[mark.line - 1])
        return mark.column >= 1 && mark.column <= line.count ? line[mark.column - 1] : nil
    }

    private static func record(_ error: YamlError, yaml: String, reader: inout ConfigReader) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            if problem.hasPrefix("but found another document") {
                reader.error(ConfigPosition(mark), "the file holds more than one YAML document (a second one starts here); expected exactly one")
                return
            }
            if character(at: mark, in: yaml) == "\t" || problem.contains("tab character") {
                reader.error(ConfigPosition(mark), "invalid YAML: a tab character; YAML must be indented with spaces")
                return
            }
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            reader.error(ConfigPosition(mark), message)
        case .reader(let problem, let offset, _, _):
            if let offset {
                let prefix = yaml.prefix(offset).unicodeScalars
                let line = prefix.count(where: { $0 == "\n" }) + 1
                let column = (prefix.lastIndex(of: "\n").map { prefix[prefix.index(after: $0)...] } ?? prefix[...]).count + 1
                reader.error(ConfigPosition(line: line, column: column), "invalid text: \(problem)")
            } else {
                reader.errorWithoutPosition("invalid text: \(problem)")
            }
        default:
            reader.errorWithoutPosition("cannot parse the YAML: \(error)")
        }
    }
}

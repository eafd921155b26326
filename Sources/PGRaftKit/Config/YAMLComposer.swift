internal import CYAML

/// Composes YAML text into the node tree of its single document, from libyaml's parser events.
///
/// It keeps what the configuration's checks need: every node's 1-based line and column; a key
/// repeated in a mapping is refused at the repeat's own position and left out, so the rest of the
/// file is still composed and checked; an alias stands for the node of its anchor, placed at the
/// alias. libyaml's syntax errors, an alias without an anchor before it, nesting deeper than
/// `maxDepth` and a second document end composing without a root.
struct YAMLComposer {
    /// Something wrong with the text, with its message as the configuration reports it.
    struct Problem: Equatable {
        /// Where it is; nil when libyaml could not say.
        let position: ConfigPosition?
        let message: String
    }

    /// Deepest nesting of sequences and mappings accepted (the composer recurses once per level).
    static let maxDepth = 100

    /// The root of `text`'s document (nil when it holds none, or after a problem that ends composing)
    /// and every problem found, in the order found.
    static func compose(_ text: String) -> (root: YAMLNode?, problems: [Problem]) {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            guard let start = buffer.baseAddress else { return (nil, []) }
            // libyaml's string reader points back at the parser: it needs a fixed address.
            let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
            defer { parser.deallocate() }
            guard yaml_parser_initialize(parser) == 1 else {
                return (nil, [Problem(position: nil, message: "cannot parse the YAML: libyaml is out of memory")])
            }
            defer { yaml_parser_delete(parser) }
            yaml_parser_set_input_string(parser, start, buffer.count)
            var composer = YAMLComposer(parser: parser, text: buffer)
            let root = try? composer.document()
            return (root, composer.problems)
        }
    }

    /// Thrown once a problem that ends composing has been recorded.
    private struct Stop: Error {}

    /// One parser event, copied out of libyaml's.
    private enum Event {
        case streamStart, streamEnd, documentStart, documentEnd
        case alias(String)
        case scalar(String, isPlain: Bool, tag: String?, anchor: String?)
        case sequenceStart(anchor: String?)
        case sequenceEnd
        case mappingStart(anchor: String?)
        case mappingEnd
    }

    private let parser: UnsafeMutablePointer<yaml_parser_t>
    /// The UTF-8 text, for positions libyaml gives as a byte offset or that need the character there.
    private let text: UnsafeBufferPointer<UInt8>
    private var anchors: [String: YAMLNode] = [:]
    private var problems: [Problem] = []
    private var depth = 0

    private init(parser: UnsafeMutablePointer<yaml_parser_t>, text: UnsafeBufferPointer<UInt8>) {
        self.parser = parser
        self.text = text
    }

    /// The stream's only document's root, or nil when the stream holds no document.
    private mutating func document() throws(Stop) -> YAMLNode? {
        _ = try next()  // stream start
        guard case .documentStart = try next().event else { return nil }
        let root = try node(try next())
        _ = try next()  // document end
        let (event, position) = try next()
        if case .documentStart = event {
            try stop(position, "the file holds more than one YAML document (a second one starts here); expected exactly one")
        }
        return root
    }

    /// The node that starts with `first`, reading the events of its content.
    private mutating func node(_ first: (event: Event, position: ConfigPosition)) throws(Stop) -> YAMLNode {
        let position = first.position
        switch first.event {
        case .alias(let name):
            guard let target = anchors[name] else {
                try stop(position, "invalid YAML: the alias '*\(name)' has no anchor '&\(name)' defined before it")
            }
            return YAMLNode(content: target.content, position: position)
        case .scalar(let text, let isPlain, let tag, let anchor):
            return remember(YAMLNode(content: .scalar(text, isPlain: isPlain, tag: tag), position: position), as: anchor)
        case .sequenceStart(let anchor):
            try enter(position)
            var items: [YAMLNode] = []
            while true {
                let next = try next()
                if case .sequenceEnd = next.event { break }
                items.append(try node(next))
            }
            depth -= 1
            return remember(YAMLNode(content: .sequence(items), position: position), as: anchor)
        case .mappingStart(let anchor):
            try enter(position)
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var firstLines: [String: Int] = [:]
            while true {
                let next = try next()
                if case .mappingEnd = next.event { break }
                let key = try node(next)
                let value = try node(try self.next())
                if case .scalar(let name, _, _) = key.content {
                    if let line = firstLines[name] {
                        problems.append(Problem(position: key.position, message: "duplicate key '\(name)' (first defined at line \(line))"))
                        continue
                    }
                    firstLines[name] = key.position.line
                }
                pairs.append((key, value))
            }
            depth -= 1
            return remember(YAMLNode(content: .mapping(pairs), position: position), as: anchor)
        case .streamStart, .streamEnd, .documentStart, .documentEnd, .sequenceEnd, .mappingEnd:
            try stop(position, "cannot parse the YAML: unexpected \(first.event) where a value belongs")
        }
    }

    private mutating func enter(_ position: ConfigPosition) throws(Stop) {
        depth += 1
        if depth > Self.maxDepth {
            try stop(position, "invalid YAML: lists and mappings nested more than \(Self.maxDepth) levels deep")
        }
    }

    private mutating func remember(_ node: YAMLNode, as anchor: String?) -> YAMLNode {
        if let anchor { anchors[anchor] = node }
        return node
    }

    private mutating func stop(_ position: ConfigPosition?, _ message: String) throws(Stop) -> Never {
        problems.append(Problem(position: position, message: message))
        throw Stop()
    }

    /// The next event, or a stop after recording libyaml's error.
    private mutating func next() throws(Stop) -> (event: Event, position: ConfigPosition) {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else {
            problems.append(parserProblem())
            throw Stop()
        }
        defer { yaml_event_delete(&event) }
        let position = ConfigPosition(event.start_mark)
        switch event.type {
        case YAML_STREAM_START_EVENT:
            return (.streamStart, position)
        case YAML_STREAM_END_EVENT:
            return (.streamEnd, position)
        case YAML_DOCUMENT_START_EVENT:
            return (.documentStart, position)
        case YAML_DOCUMENT_END_EVENT:
            return (.documentEnd, position)
        case YAML_ALIAS_EVENT:
            return (.alias(String(cString: event.data.alias.anchor)), position)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let isPlain = scalar.style == YAML_PLAIN_SCALAR_STYLE
            return (.scalar(value, isPlain: isPlain, tag: Self.string(scalar.tag), anchor: Self.string(scalar.anchor)), position)
        case YAML_SEQUENCE_START_EVENT:
            return (.sequenceStart(anchor: Self.string(event.data.sequence_start.anchor)), position)
        case YAML_SEQUENCE_END_EVENT:
            return (.sequenceEnd, position)
        case YAML_MAPPING_START_EVENT:
            return (.mappingStart(anchor: Self.string(event.data.mapping_start.anchor)), position)
        case YAML_MAPPING_END_EVENT:
            return (.mappingEnd, position)
        default:
            try stop(position, "cannot parse the YAML: libyaml returned an event of unknown type \(event.type.rawValue)")
        }
    }

    /// libyaml's error as the configuration reports it.
    private func parserProblem() -> Problem {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "unknown error"
        switch state.error {
        case YAML_READER_ERROR:
            return Problem(position: position(ofByte: state.problem_offset), message: "invalid text: \(problem)")
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR:
            let position = ConfigPosition(state.problem_mark)
            if scalar(at: position) == "\t" || problem.contains("tab character") {
                return Problem(position: position, message: "invalid YAML: a tab character; YAML must be indented with spaces")
            }
            var message = "invalid YAML: \(problem)"
            if let context = state.context {
                let at = ConfigPosition(state.context_mark)
                message += " (\(String(cString: context)) at line \(at.line), column \(at.column))"
            }
            return Problem(position: position, message: message)
        default:
            return Problem(position: nil, message: "cannot parse the YAML: \(problem)")
        }
    }

    /// The position of the character at byte `offset` of the text.
    private func position(ofByte offset: Int) -> ConfigPosition {
        let before = String(decoding: text.prefix(offset), as: UTF8.self).unicodeScalars
        let line = before.count(where: { $0 == "\n" }) + 1
        let column = (before.lastIndex(of: "\n").map { before[before.index(after: $0)...] } ?? before[...]).count + 1
        return ConfigPosition(line: line, column: column)
    }

    /// The Unicode scalar at `position` of the text, if there is one.
    private func scalar(at position: ConfigPosition) -> Unicode.Scalar? {
        let lines = String(decoding: text, as: UTF8.self).unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        guard position.line <= lines.count else { return nil }
        let line = Array(lines[position.line - 1])
        return position.column <= line.count ? line[position.column - 1] : nil
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}

extension ConfigPosition {
    /// The position of libyaml's 0-based `mark`.
    fileprivate init(_ mark: yaml_mark_t) {
        self.init(line: mark.line + 1, column: mark.column + 1)
    }
}

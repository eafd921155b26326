/// A node of a composed YAML document, with the position where it starts in the text.
struct YAMLNode {
    /// What the node holds.
    enum Content {
        /// A scalar: its text with quotes and escapes resolved; `isPlain` is false for a quoted or
        /// block (`|`, `>`) scalar; `tag` is its explicit tag, resolved (`!!str` is
        /// `tag:yaml.org,2002:str`), or nil.
        case scalar(String, isPlain: Bool, tag: String?)
        /// A sequence's items in order.
        case sequence([YAMLNode])
        /// A mapping's pairs in file order, each key once (the composer leaves a repeated key out).
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    let content: Content
    /// Where the node starts: its first character, or its anchor or tag when it has one.
    let position: ConfigPosition
}

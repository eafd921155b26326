/// Turns configuration text into its YAML node tree, recording in the reader every problem the
/// composer found (syntax errors and each repeated key, at their positions) and an empty file.
enum ConfigDocument {
    /// The root node of `yaml`, or nil after recording why there is none in `reader`.
    static func compose(_ yaml: String, reader: inout ConfigReader) -> YAMLNode? {
        let (root, problems) = YAMLComposer.compose(yaml)
        for problem in problems {
            if let position = problem.position {
                reader.error(position, problem.message)
            } else {
                reader.errorWithoutPosition(problem.message)
            }
        }
        guard let root, ConfigValueKind(root) != .null else {
            if problems.isEmpty {
                reader.errorWithoutPosition("the file is empty; expected a mapping of settings such as cluster_name, node_id, listen_port, data_dir, run_dir and log_dir")
            }
            return nil
        }
        return root
    }
}

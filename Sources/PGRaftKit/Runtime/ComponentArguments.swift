/// A component's own arguments (`components: <name>: args:` in the YAML): options of the form
/// `--name N`, each checked with an error that says what it needs.
public enum ComponentArguments {
    /// A bad argument; the component exits with this message.
    public struct Invalid: Error, CustomStringConvertible {
        /// What is wrong and what is expected.
        public let description: String
    }

    /// The whole number after `--name` in `arguments`, nil when the option is absent.
    ///
    /// - Parameter needs: what the value must be, for the error ("a size in bytes").
    /// - Throws: `Invalid` when the value is missing, not a number, or below `minimum`.
    public static func number(_ name: String, in arguments: [String], minimum: Int, needs: String) throws(Invalid) -> Int? {
        guard let at = arguments.firstIndex(of: name) else { return nil }
        guard at + 1 < arguments.count, let value = Int(arguments[at + 1]), value >= minimum else {
            throw Invalid(description: "\(name) needs \(needs) of at least \(minimum)")
        }
        return value
    }
}

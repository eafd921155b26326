import Foundation

/// How `pgraftctl kv` and `log` print the API's JSON answers for a person (with `--json` the body
/// is printed as it came).
public enum APIOutput {
    /// The bytes of a record's `name` (`value`, `data`): the text, or `name_base64` decoded.
    ///
    /// - Throws: `CLIError` when the answer has neither.
    public static func bytes(_ name: String, of body: [UInt8]) throws(CLIError) -> [UInt8] {
        let object = try self.object(body)
        if let text = object[name] as? String { return Array(text.utf8) }
        if let encoded = object[name + "_base64"] as? String, let data = Data(base64Encoded: encoded) { return Array(data) }
        throw CLIError("the api's answer has no \(name): \(String(decoding: body, as: UTF8.self))")
    }

    /// `kv put`: "OK revision R (index I, term T)".
    public static func put(_ body: [UInt8]) throws(CLIError) -> String {
        let o = try object(body)
        return "OK revision \(number(o["revision"])) (index \(number(o["index"])), term \(number(o["term"])))"
    }

    /// `kv delete`: whether the key existed, and the revision.
    public static func delete(_ body: [UInt8]) throws(CLIError) -> String {
        let o = try object(body)
        let key = o["key"] as? String ?? "?"
        guard o["deleted"] as? Bool == true else { return "\(key) did not exist (index \(number(o["index"])))" }
        return "deleted \(key) at revision \(number(o["revision"])) (index \(number(o["index"])), term \(number(o["term"])))"
    }

    /// `kv list`: one "key<TAB>value" line per key (binary values as "base64:…"), nothing when empty.
    public static func list(_ body: [UInt8]) throws(CLIError) -> String {
        let o = try object(body)
        guard let keys = o["keys"] as? [[String: Any]] else { throw CLIError("the api's answer has no keys array") }
        return keys.map { record in
            let key = record["key"] as? String ?? "?"
            if let value = record["value"] as? String { return key + "\t" + value }
            return key + "\tbase64:" + (record["value_base64"] as? String ?? "")
        }.joined(separator: "\n")
    }

    /// `log append`: "sequence S (index I, term T)".
    public static func logAppend(_ body: [UInt8]) throws(CLIError) -> String {
        let o = try object(body)
        return "sequence \(number(o["sequence"])) (index \(number(o["index"])), term \(number(o["term"])))"
    }

    /// `log trim`: what is gone now, and where the trim sits in the Raft log.
    public static func logTrim(_ body: [UInt8]) throws(CLIError) -> String {
        let o = try object(body)
        return "trimmed through sequence \(number(o["trimmed_through"])) (index \(number(o["index"])), term \(number(o["term"])))"
    }

    /// `log stats`: one "name: value" line per figure, in a fixed order.
    public static func logStats(_ body: [UInt8]) throws(CLIError) -> String {
        let o = try object(body)
        return ["count", "bytes", "first_sequence", "last_sequence", "last_index"].map { "\($0): \(number(o[$0]))" }
            .joined(separator: "\n")
    }

    private static func object(_ body: [UInt8]) throws(CLIError) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw CLIError("the api's answer is not a JSON object: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        return object
    }

    private static func number(_ value: Any?) -> String {
        if let number = value as? NSNumber { return number.stringValue }
        return value.map { "\($0)" } ?? "?"
    }
}

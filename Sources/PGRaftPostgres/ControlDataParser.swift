import Foundation
import PGRaftBridge

/// Reads the output of `pg_controldata` (run with `LC_ALL=C`, so in English) into the control data
/// the bridge core decides from.
public enum ControlDataParser {
    /// The control data in `output`, with `isStandby` as given (it comes from `standby.signal`, not
    /// from the control file); nil when a field is missing or malformed.
    public static func parse(_ output: String, isStandby: Bool) -> ServerObservation.ControlData? {
        var fields: [String: String] = [:]
        for line in output.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].trimmingCharacters(in: .whitespaces)] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let identifier = fields["Database system identifier"].flatMap({ UInt64($0) }),
            let timeline = fields["Latest checkpoint's TimeLineID"].flatMap({ UInt32($0) }),
            let state = fields["Database cluster state"]
        else { return nil }
        return ServerObservation.ControlData(
            systemIdentifier: identifier, timeline: timeline,
            cleanShutdown: state == "shut down" || state == "shut down in recovery", isStandby: isStandby)
    }
}

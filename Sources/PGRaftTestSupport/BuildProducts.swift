import Foundation

/// Where the package's executables are: the directory of the running binary (the test bundle and
/// `pgraft-bench` are built next to `pgraftd` and the components).
public enum BuildProducts {
    /// The directory holding `pgraftd`, `pgraftctl` and the `pgraft-*` components.
    public static var directory: String {
        if let override = ProcessInfo.processInfo.environment["PGRAFT_BIN_DIR"] { return override }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // Some runners execute from inside the .xctest bundle directory.
        while directory.path.contains(".xctest") { directory.deleteLastPathComponent() }
        return directory.path
    }

    /// Full path of executable `name`.
    public static func path(_ name: String) -> String { directory + "/" + name }
}

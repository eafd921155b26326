import Foundation

/// Path arithmetic for the configuration: relative paths are resolved against the
/// configuration file's directory, never the process's working directory.
enum ConfigPath {
    /// `path` made absolute against `base` and normalized (no `.`, `..`, `//` or trailing `/`).
    static func absolute(_ path: String, base: String) -> String {
        normalized(path.hasPrefix("/") ? path : base + "/" + path)
    }

    /// `path` (absolute) without `.` and `..` components, repeated or trailing slashes.
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether `path` is strictly below `directory` (both absolute and normalized).
    static func isInside(_ path: String, _ directory: String) -> Bool {
        directory == "/" ? path != "/" : path.hasPrefix(directory + "/")
    }

    /// The process's working directory, for making a caller's relative path absolute.
    static var currentDirectory: String {
        FileManager.default.currentDirectoryPath
    }

    /// The directory holding `file` (an absolute path).
    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "/" }
        let directory = String(file[..<slash])
        return directory.isEmpty ? "/" : directory
    }
}

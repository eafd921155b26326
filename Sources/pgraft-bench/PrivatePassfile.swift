import ArgumentParser
import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A libpq passfile holding one password for any host, port, database and user, in a directory
/// only this process's user can enter; removed at the end of the trial.
struct PrivatePassfile {
    let directory: String
    var path: String { directory + "/pgpass" }

    /// Reads the password (the first line of `passwordFile`) and writes the passfile.
    init(passwordFile: String) throws {
        guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
            throw ValidationError("--password-file \(passwordFile) cannot be read")
        }
        let password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var template = Array((NSTemporaryDirectory() + "pgraft-bench-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TrialError("cannot create a private directory: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        let escaped = password.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
        let fd = open(directory + "/pgpass", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TrialError("cannot write the passfile: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let line = Array("*:*:*:*:\(escaped)\n".utf8)
        guard write(fd, line, line.count) == line.count else { throw TrialError("cannot write the passfile") }
    }

    func remove() {
        unlink(path)
        rmdir(directory)
    }
}

import Foundation
import PGRaftKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `pgraft-storage`: owns the node's data directory. This stage takes the directory's exclusive
/// lock, so that two nodes pointed at one directory cannot both write it.
@main
enum StorageMain {
    static func main() async {
        await ComponentRuntime.main(name: "storage") { context in
            let lock = try DataDirectory.lock(context.config.dataDir)
            context.logger.info("data directory locked", metadata: ["data_dir": "\(context.config.dataDir)"])
            context.markReady()
            await context.waitForShutdown()
            lock.release(removeFile: false)
        }
    }
}

/// Opens `<data_dir>` (creating it) and takes its exclusive lock, `<data_dir>/LOCK`.
enum DataDirectory {
    /// Why the data directory cannot be used.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func lock(_ directory: String) throws -> PIDLockFile {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create data_dir \(directory): \(error.localizedDescription)")
        }
        do {
            return try PIDLockFile(path: directory + "/LOCK")
        } catch .held(_, let holder) {
            throw Failure(
                description: "data_dir \(directory) is locked by another process (pid \(holder)): "
                    + "two nodes cannot share a data directory")
        } catch {
            throw Failure(description: "cannot lock data_dir \(directory): \(error)")
        }
    }
}

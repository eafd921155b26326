import Foundation
import Logging
import PGRaftKit
import PGRaftStorage

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `pgraft-storage`: the only process that writes the node's Raft state to disk. It locks
/// `data_dir`, recovers the log (a torn tail is cut; anything worse stops it with the file and
/// offset), reports ready, then connects to `<run_dir>/consensus.sock` and serves consensus's
/// requests with group commit (see PGRaftStorage and FORMAT.md beside this file).
///
/// Arguments (set them under `components: storage: args:`): `--segment-bytes N` rolls segment
/// files at N bytes (default 64 MiB).
@main
enum StorageMain {
    static func main() async {
        await ComponentRuntime.main(name: "storage") { context in
            let lock = try DataDirectory.lock(context.config.dataDir)
            defer { lock.release(removeFile: false) }
            context.logger.info("data directory locked", metadata: ["data_dir": "\(context.config.dataDir)"])
            let options = try StorageArguments.parse(CommandLine.arguments)
            let directory = context.config.dataDir
            let logger = context.logger
            // Recovery reads the whole log: keep it off the cooperative pool (the heartbeat runs there).
            let engine = try await onThread { try LogEngine(directory: directory, options: options, logger: logger) }
            context.markReady()
            let endpoint = StorageEndpoint(service: StorageService(engine: engine.value), logger: logger)
            let socketPath = context.config.consensusSocketPath
            _ = try await withTaskCancellationHandler {
                try await onThread { try endpoint.run(socketPath: socketPath) }
            } onCancel: {
                endpoint.stop()
            }
            engine.value.close()
        }
    }

    /// Runs blocking `work` on a thread of its own and returns its result.
    static func onThread<T>(_ work: @escaping @Sendable () throws -> T) async throws -> Unchecked<T> {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Unchecked<T>, Error>) in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: Unchecked(value: try work()))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// Hands a value owned by one thread at a time across a thread boundary.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
}

/// The component's own arguments.
enum StorageArguments {
    static func parse(_ arguments: [String]) throws -> LogEngine.Options {
        var options = LogEngine.Options()
        if let bytes = try ComponentArguments.number("--segment-bytes", in: arguments, minimum: 4096, needs: "a size in bytes") {
            options.segmentBytes = bytes
        }
        return options
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

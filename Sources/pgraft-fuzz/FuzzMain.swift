import Foundation

#if PGRAFT_FUZZ
// Built by contrib/fuzz with libFuzzer (-sanitize=fuzzer,address -D PGRAFT_FUZZ): libFuzzer's driver
// runs the target that PGRAFT_FUZZ_TARGET names.

/// The target of this run.
private let target: FuzzTarget = {
    guard let name = ProcessInfo.processInfo.environment["PGRAFT_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("pgraft-fuzz: set PGRAFT_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))\n".utf8))
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    target.run(size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's `main` to this symbol; it hands the command line to libFuzzer.
@_cdecl("pgraft_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector) { data, size in fuzzOne(data, size) }
}
#else
/// `pgraft-fuzz seed DIR` writes every target's seeds (`FuzzSeeds`) under DIR/TARGET.
/// `pgraft-fuzz TARGET PATH…`: runs every file under each PATH through TARGET's decoders once, the
/// replay that keeps each crash fuzzing found (committed in `Tests/FuzzCorpus/TARGET`) fixed. Built
/// without libFuzzer, as part of the package.
@main
enum FuzzReplay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "seed", arguments.count == 2 {
            do {
                try FuzzSeeds.write(to: arguments[1])
            } catch {
                FileHandle.standardError.write(Data("pgraft-fuzz: cannot write the seeds: \(error)\n".utf8))
                exit(1)
            }
            return
        }
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("usage: pgraft-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) PATH…\n".utf8))
            exit(64)
        }
        var count = 0
        for path in arguments.dropFirst() {
            for file in files(under: path) {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                target.run(Array(data))
                count += 1
            }
        }
        print("\(name): \(count) inputs replayed")
    }

    /// `path` itself, or every regular file below it.
    static func files(under path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }.filter {
            var directory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &directory) && !directory.boolValue
        }
    }
}
#endif

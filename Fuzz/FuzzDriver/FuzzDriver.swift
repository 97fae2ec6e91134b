import Foundation

#if FUZZING
/// libFuzzer's entry point for a program that has a `main` of its own (linked from
/// `libclang_rt.fuzzer_no_main`, see `Fuzz/run.sh`).
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
#endif

/// Runs fuzz targets. Built by `Fuzz/run.sh` (with `-DFUZZING` and coverage), it hands inputs
/// from libFuzzer to a target's body; built as part of the package, it runs the body on every
/// file (or every file in every folder) named on its command line, so that CI replays the corpora
/// and any crash once found, without a fuzzer.
///
/// A body checks the target's properties and stops the program (`fatalError`) when one fails.
public enum FuzzDriver {
    public typealias Body = (UnsafeRawBufferPointer) -> Void
    nonisolated(unsafe) private static var target: Body?

    /// A program that is one target: its arguments are libFuzzer's, or the inputs to replay.
    public static func main(_ body: @escaping Body) -> Never {
        let name = String(CommandLine.arguments[0].split(separator: "/").last ?? "")
        run(name, body, arguments: Array(CommandLine.arguments.dropFirst()))
    }

    /// A program holding several targets: the first argument names one (`--list` names them
    /// all, a line each); the rest are libFuzzer's, or the inputs to replay.
    public static func main(targets: [String: Body]) -> Never {
        let arguments = CommandLine.arguments
        if arguments.count == 2, arguments[1] == "--list" {
            print(targets.keys.sorted().joined(separator: "\n"))
            exit(0)
        }
        guard arguments.count >= 2, let body = targets[arguments[1]] else {
            FileHandle.standardError.write(
                Data("usage: \(arguments[0]) TARGET [libFuzzer's options, or files and folders to replay]; TARGET is one of: \(targets.keys.sorted().joined(separator: ", "))\n".utf8))
            exit(2)
        }
        run(arguments[1], body, arguments: Array(arguments.dropFirst(2)))
    }

    private static func run(_ name: String, _ body: @escaping Body, arguments: [String]) -> Never {
        target = body
        #if FUZZING
        // libFuzzer reads its options from argv: the program's name, then `arguments`.
        let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 2)
        argv[0] = CommandLine.unsafeArgv[0]
        for (index, argument) in arguments.enumerated() { argv[index + 1] = strdup(argument) }
        argv[arguments.count + 1] = nil
        var argc = Int32(arguments.count + 1)
        var pointer = argv
        exit(LLVMFuzzerRunDriver(&argc, &pointer) { data, count in
            FuzzDriver.target?(UnsafeRawBufferPointer(start: data, count: count))
            return 0
        })
        #else
        var count = 0
        for argument in arguments {
            for file in files(at: argument) {
                guard let data = FileManager.default.contents(atPath: file) else { fatalError("cannot read \(file)") }
                data.withUnsafeBytes { body($0) }
                count += 1
            }
        }
        print("\(name): \(count) inputs replayed, all properties held")
        exit(0)
        #endif
    }

    /// The file itself, or the files below a folder (as libFuzzer reads a corpus), hidden ones
    /// and build folders left out.
    private static func files(at path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { fatalError("no such file or folder: \(path)") }
        guard isFolder.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.flatMap { files(at: "\(path)/\($0)") }
    }

    /// Stops the program with `message` when a property does not hold (libFuzzer saves the input).
    public static func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError("property failed: \(message())") }
    }
}

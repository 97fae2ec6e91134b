import Foundation

#if FUZZING
/// libFuzzer's entry point for a program that has a `main` of its own (linked from
/// `libclang_rt.fuzzer_no_main`, see `Fuzz/run.sh`).
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
#endif

/// Runs one fuzz target. Built by `Fuzz/run.sh` (with `-DFUZZING` and coverage), it hands inputs
/// from libFuzzer to `body`; built as part of the package, it runs `body` on every file (or every
/// file in every folder) named on its command line, so that CI replays the corpora and any crash
/// once found, without a fuzzer.
///
/// `body` checks the target's properties and stops the program (`fatalError`) when one fails.
public enum FuzzDriver {
    nonisolated(unsafe) private static var target: ((UnsafeRawBufferPointer) -> Void)?

    public static func main(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
        target = body
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, count in
            FuzzDriver.target?(UnsafeRawBufferPointer(start: data, count: count))
            return 0
        })
        #else
        var count = 0
        for argument in CommandLine.arguments.dropFirst() {
            for file in files(at: argument) {
                guard let data = FileManager.default.contents(atPath: file) else { fatalError("cannot read \(file)") }
                data.withUnsafeBytes { body($0) }
                count += 1
            }
        }
        print("\(CommandLine.arguments[0].split(separator: "/").last ?? ""): \(count) inputs replayed, all properties held")
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

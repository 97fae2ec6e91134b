import Foundation
import PackagePlugin

/// `swift package --allow-writing-to-package-directory fsexport-new-sink NAME [--target TARGET]`
///
/// Scaffolds a custom sink in your package: `NAMESink.swift` (the sink and its options) in the
/// target, `NAMESinkTests.swift` (a test that drives it with simulated bundles) in `TARGETTests`,
/// and registers it in an executable's `FSExportCommand.main(sinks: [...])` when there is one.
/// The target must depend on FSExportCore, its test target on FSExportSinkTesting too.
@main
struct FSExportNewSink: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let targetName = extractor.extractOption(named: "target").first
        guard let rawName = extractor.remainingArguments.first, let name = Self.typeName(rawName) else {
            throw ScaffoldError("usage: swift package --allow-writing-to-package-directory fsexport-new-sink NAME [--target TARGET]; NAME like Webhook")
        }
        let targets = context.package.targets.compactMap { $0 as? SourceModuleTarget }
        guard let target = targetName.map({ wanted in targets.first { $0.name == wanted } })
                ?? targets.first(where: { $0.kind == .generic && !$0.sourceFiles.filter({ $0.url.pathExtension == "swift" }).isEmpty })
        else {
            throw ScaffoldError("no library target to put the sink in; name one with --target")
        }
        let sinkFile = target.directoryURL.appendingPathComponent("\(name)Sink.swift")
        try Self.write(Templates.sink(name: name), to: sinkFile)
        print("created \(sinkFile.path)")

        if let tests = targets.first(where: { $0.kind == .test && $0.name == "\(target.name)Tests" }) {
            let testFile = tests.directoryURL.appendingPathComponent("\(name)SinkTests.swift")
            try Self.write(Templates.test(name: name, module: target.moduleName), to: testFile)
            print("created \(testFile.path)")
        } else {
            print("no test target named \(target.name)Tests: add one that depends on \(target.name) and FSExportSinkTesting to test the sink")
        }

        var registered = false
        for executable in targets where executable.kind == .executable {
            for file in executable.sourceFiles where file.url.pathExtension == "swift" {
                var text = try String(contentsOf: file.url, encoding: .utf8)
                guard let range = text.range(of: "FSExportCommand.main(sinks: [") else { continue }
                if !text.contains("\(name)Sink.self") { text.replaceSubrange(range, with: "FSExportCommand.main(sinks: [\(name)Sink.self, ") }
                try text.write(to: file.url, atomically: true, encoding: .utf8)
                print("registered \(name)Sink in \(file.url.path)")
                registered = true
            }
        }
        if !registered { print("register the sink in your binary: await FSExportCommand.main(sinks: [\(name)Sink.self])") }
    }

    static func typeName(_ raw: String) -> String? {
        let parts = raw.split { !$0.isLetter && !$0.isNumber }
        let name = parts.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        guard let first = name.first, first.isLetter else { return nil }
        return name.hasSuffix("Sink") ? String(name.dropLast(4)) : name
    }

    static func write(_ text: String, to url: URL) throws {
        guard !FileManager.default.fileExists(atPath: url.path) else { throw ScaffoldError("\(url.path) exists already; nothing was changed") }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
}

struct ScaffoldError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

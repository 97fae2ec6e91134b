import Foundation
import Testing

/// The module graph the architecture promises (docs/architecture.md), from one table: the
/// package manifest's dependencies. Every target imports what it declares and nothing else, and
/// the declared graph keeps the layers apart (the core stands on no client, server or parser;
/// the sinks and the sink-testing product on the core alone).
@Suite("Layering")
struct LayeringTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// What the toolchain provides: imported without being declared.
    static let toolchain: Set<String> = ["Foundation", "Glibc", "Dispatch", "Synchronization", "_Concurrency", "Testing", "Darwin", "PackagePlugin"]

    /// Declared for what they link or build, not imported from Swift: C shims include their
    /// library's headers; the command tests run the `fsexport` executable.
    static let declaredForLinking: [String: Set<String>] = ["CCurlShims": ["CCurl"], "CZlibShims": ["CZlib"], "FSExportCommandTests": ["fsexport"]]

    /// Each Swift target's declared dependencies (targets and products), from Package.swift.
    static let declared: [String: Set<String>] = {
        let manifest = (try? String(contentsOfFile: "\(repository)/Package.swift", encoding: .utf8)) ?? ""
        var targets: [String: Set<String>] = [:]
        var rest = Substring(manifest)
        while let name = rest.range(of: #"name: "([A-Za-z0-9_-]+)",\s*dependencies: \["#, options: .regularExpression) {
            let target = String(rest[name].split(separator: "\"")[1])
            var depth = 1
            var end = name.upperBound
            while depth > 0, end < rest.endIndex {
                if rest[end] == "[" { depth += 1 } else if rest[end] == "]" { depth -= 1 }
                end = rest.index(after: end)
            }
            targets[target] = dependencies(in: rest[name.upperBound..<end])
            rest = rest[end...]
        }
        return targets
    }()

    /// `"Module"` entries and `.product(name: "Module", …)` names, not package names.
    static func dependencies(in list: Substring) -> Set<String> {
        var names: Set<String> = []
        for entry in list.split(separator: ",") {
            let quoted = entry.split(separator: "\"", omittingEmptySubsequences: false)
            // A trait's name (`condition: .when(traits: ["ISAL"])`) is no module.
            guard quoted.count >= 3, !entry.contains("package:"), !entry.contains("traits:") else { continue }
            names.insert(String(quoted[1]))
        }
        return names
    }

    /// The folder holding a target's sources.
    static func folder(of target: String) -> String? {
        let special = ["fsexport-benchmark": "Benchmarks/DecodeBenchmark", "FSExportTestSupport": "Tests/Support", "FuzzDriver": "Fuzz/FuzzDriver"]
        let candidates = [special[target], "Sources/\(target)", "Tests/\(target)", "Fuzz/\(target)"].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: "\(repository)/\($0)") }
    }

    /// The modules imported anywhere below `folder`.
    static func imports(in folder: String) throws -> Set<String> {
        var modules: Set<String> = []
        let walker = FileManager.default.enumerator(atPath: "\(repository)/\(folder)")!
        while let file = walker.nextObject() as? String {
            guard file.hasSuffix(".swift") else { continue }
            let text = try String(contentsOfFile: "\(repository)/\(folder)/\(file)", encoding: .utf8)
            // Imports are at the top level: an indented "import" is text (a script in a string).
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@") {
                let words = line.split(separator: " ")
                if let index = words.firstIndex(of: "import"), index + 1 < words.count {
                    modules.insert(String(words[index + 1]))
                }
            }
        }
        return modules
    }

    @Test("The manifest was read: every Swift target is in the table")
    func tableIsWhole() {
        #expect(Self.declared.count >= 25, "\(Self.declared.keys.sorted())")
        #expect(Self.declared["FSExportCore"]?.contains("FSExportZlib") == true)
        #expect(Self.declared["FSExportPipeline"]?.contains("Yams") == true)
    }

    @Test("Every target imports exactly what it declares: nothing undeclared, nothing declared in vain")
    func importsMatchTheManifest() throws {
        for (target, dependencies) in Self.declared.sorted(by: { $0.key < $1.key }) {
            guard let folder = Self.folder(of: target) else { continue }  // a plugin, or a C target
            let imported = try Self.imports(in: folder).subtracting(Self.toolchain)
            guard !imported.isEmpty else { continue }  // C sources
            #expect(imported.subtracting(dependencies).isEmpty, "\(target) imports undeclared \(imported.subtracting(dependencies).sorted())")
            let unused = dependencies.subtracting(imported).subtracting(Self.declaredForLinking[target] ?? [])
            #expect(unused.isEmpty, "\(target) declares, never imports, \(unused.sorted())")
        }
    }

    /// Everything `target` stands on, directly or not.
    static func closure(of target: String) -> Set<String> {
        var seen: Set<String> = []
        var next = [target]
        while let module = next.popLast() {
            for dependency in declared[module] ?? [] where seen.insert(dependency).inserted { next.append(dependency) }
        }
        return seen
    }

    static let clients: Set<String> = ["FSExportClient", "FSExportHTTP", "CCurl", "FSExportS3", "FSExportWarehouse", "FSExportSimulator"]
    static let frontEnds: Set<String> = ["FSExportPipeline", "Yams", "FSExportCommand", "ArgumentParser", "Prometheus", "NIOCore", "NIOPosix", "NIOHTTP1"]

    @Test(
        "The layers stay apart: the core and what stands on it alone reach no client, server, YAML or command line",
        arguments: ["FSExportCore", "FSExportSinks", "FSExportSinkTesting", "FSExportArchive", "FSExportSimulatedData"])
    func coreLayers(_ target: String) {
        let reached = Self.closure(of: target)
        #expect(reached.intersection(Self.clients.union(Self.frontEnds)).isEmpty, "\(target) reaches \(reached.intersection(Self.clients.union(Self.frontEnds)).sorted())")
    }

    @Test("The HTTP layer, the client and the storage sinks reach no pipeline file or command line; S3 and the client stay apart; HTTP is below the core")
    func serviceLayers() {
        for target in ["FSExportHTTP", "FSExportClient", "FSExportS3", "FSExportWarehouse"] {
            #expect(Self.closure(of: target).intersection(Self.frontEnds).isEmpty, "\(target)")
        }
        #expect(!Self.closure(of: "FSExportS3").contains("FSExportClient"))
        #expect(!Self.closure(of: "FSExportHTTP").contains("FSExportClient"))
        #expect(!Self.closure(of: "FSExportHTTP").contains("FSExportCore"), "the HTTP layer stands on the basics, not on the core")
        #expect(Self.declared["FSExportBasics"] == [], "the basics stand on nothing")
        #expect(!Self.closure(of: "FSExportSimulator").contains("FSExportClient"), "the simulator shares no code with the client")
    }
}

import Foundation
import Testing

/// The module graph the architecture promises (docs/architecture.md): the core stands on nothing
/// but zlib and the standard packages, and the built-in sinks on the core alone.
@Suite("Layering")
struct LayeringTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The modules imported anywhere below `folder`.
    static func imports(in folder: String) throws -> Set<String> {
        var modules: Set<String> = []
        let walker = FileManager.default.enumerator(atPath: "\(repository)/\(folder)")!
        while let file = walker.nextObject() as? String {
            guard file.hasSuffix(".swift") else { continue }
            let text = try String(contentsOfFile: "\(repository)/\(folder)/\(file)", encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ")
                if let index = words.firstIndex(of: "import"), index + 1 < words.count, index == 0 || words[0].hasPrefix("@") {
                    modules.insert(String(words[index + 1]))
                }
            }
        }
        return modules
    }

    @Test("FSExportCore imports no HTTP client, no curl, no YAML, no argument parser, no NIO")
    func core() throws {
        let forbidden: Set<String> = ["FSExportClient", "FSExportHTTP", "FSExportS3", "CCurl", "CCurlShims", "Yams", "ArgumentParser", "Prometheus", "NIOCore", "NIOPosix", "NIOHTTP1", "FSExportPipeline", "FSExportSinks", "FSExportSimulator", "FSExportCommand"]
        let found = try Self.imports(in: "Sources/FSExportCore")
        #expect(found.intersection(forbidden).isEmpty, "\(found.intersection(forbidden))")
        #expect(found.contains("FSExportZlib"))  // the walk found the core's imports at all
    }

    @Test("The built-in sinks stand on the core: no client, no pipeline file, no command line")
    func sinks() throws {
        let found = try Self.imports(in: "Sources/FSExportSinks")
        #expect(found.intersection(["FSExportClient", "CCurl", "FSExportPipeline", "FSExportCommand", "Yams", "ArgumentParser"]).isEmpty, "\(found)")
        #expect(found.contains("FSExportCore"))
    }

    @Test("The s3 sink stands on the core and the HTTP layer: not on the API client, the pipeline file or the command line")
    func objectStorage() throws {
        let found = try Self.imports(in: "Sources/FSExportS3")
        #expect(found.intersection(["FSExportClient", "FSExportSinks", "FSExportPipeline", "FSExportCommand", "Yams", "ArgumentParser", "NIOCore"]).isEmpty, "\(found)")
        #expect(found.isSuperset(of: ["FSExportCore", "FSExportHTTP"]))
        let http = try Self.imports(in: "Sources/FSExportHTTP")
        #expect(http.intersection(["FSExportClient", "FSExportS3", "FSExportPipeline"]).isEmpty, "\(http)")
    }

    @Test("The package manifest agrees: FSExportCore depends on no client module")
    func manifest() throws {
        let manifest = try String(contentsOfFile: "\(Self.repository)/Package.swift", encoding: .utf8)
        let core = try #require(manifest.range(of: #"name: "FSExportCore","#))
        let dependencies = manifest[core.upperBound...].prefix { $0 != "]" }
        #expect(!dependencies.contains("FSExportClient") && !dependencies.contains("CCurl"), "\(dependencies)")
    }
}

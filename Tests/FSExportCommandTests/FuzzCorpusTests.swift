import Foundation
import Testing

/// Every fuzz target, built without the fuzzer, replays its corpus (the seeds in Fuzz/corpus, and
/// any input a campaign once failed on, kept there) and checks its properties on each input.
@Suite("Fuzz corpora")
struct FuzzCorpusTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Every target in Fuzz/ (each folder named fuzz-…), as Package.swift and Fuzz/run.sh find them.
    static let targets = ((try? FileManager.default.contentsOfDirectory(atPath: "\(repository)/Fuzz")) ?? []).filter { $0.hasPrefix("fuzz-") }.sorted()

    @Test("Every fuzz target has a corpus, and the package builds every one")
    func everyTarget() throws {
        #expect(Self.targets.count >= 10, "\(Self.targets)")
        let manifest = try String(contentsOfFile: "\(Self.repository)/Package.swift", encoding: .utf8)
        for target in Self.targets {
            #expect(FileManager.default.fileExists(atPath: "\(Self.repository)/Fuzz/corpus/\(target)"), "\(target) has no corpus")
            #expect(manifest.contains("(\"\(target)\","), "\(target) is not in Package.swift")
        }
    }

    @Test("Each fuzz target's properties hold on its corpus", arguments: targets)
    func replay(_ target: String) async throws {
        var inputs = ["\(Self.repository)/Fuzz/corpus/\(target)"]
        if target == "fuzz-pipeline" { inputs.append("\(Self.repository)/examples") }
        let binary = FSExportBinary.url.deletingLastPathComponent().appendingPathComponent(target).path
        let result = try await FSExportBinary.run(inputs, executable: binary)
        #expect(result.status == 0, "\(result.stderr)")
        let count = Int(result.stdout.split(separator: " ").dropFirst().first ?? "") ?? 0
        #expect(count >= 3, "\(result.stdout)")
    }
}

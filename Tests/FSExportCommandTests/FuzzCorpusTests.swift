import Foundation
import Testing

/// Every fuzz target, built without the fuzzer, replays its corpus (the seeds in Fuzz/corpus, and
/// any input a campaign once failed on, kept there) and checks its properties on each input.
@Suite("Fuzz corpora")
struct FuzzCorpusTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test(
        "Each fuzz target's properties hold on its corpus",
        arguments: ["fuzz-json-scanner", "fuzz-list-response", "fuzz-state-file", "fuzz-templates", "fuzz-pipeline", "fuzz-times", "fuzz-segment-responses", "fuzz-s3-responses", "fuzz-credentials-file"])
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

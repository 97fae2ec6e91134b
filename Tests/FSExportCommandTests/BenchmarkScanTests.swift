import Foundation
import FSExportTestSupport
import Testing

/// `fsexport-benchmark scan FILE [ROUNDS]`, as the README gives it: the decoder alone on a plain
/// JSON bundle, best of ROUNDS.
@Suite("Benchmark: scan")
struct BenchmarkScanTests {
    @Test("scan decodes every event of a plain bundle and says how long the best round took")
    func scan() async throws {
        let folder = try TemporaryFolder("scan")
        let path = "\(folder.path)/bundle.json"
        try Data(#"[{"EventType":"click","n":1},{"EventType":"navigate","s":"a,b"},{}]"#.utf8).write(to: URL(fileURLWithPath: path))
        let benchmark = FSExportBinary.url.deletingLastPathComponent().appendingPathComponent("fsexport-benchmark").path
        let result = try await FSExportBinary.run(["scan", path, "2"], executable: benchmark)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("3 events in ") && result.stdout.contains("(best of 2)"), "\(result.stdout)")
    }
}

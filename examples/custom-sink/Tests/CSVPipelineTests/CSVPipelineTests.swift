import CSVSink
import FSExportTesting
import Foundation
import Testing

/// Whole pipeline files that use the sink, against the in-process simulator (FSExportTesting:
/// the pipeline, the client and the simulator are built for these; the sink's own tests above
/// need the core alone).
@Suite("CSV sink in a pipeline")
struct CSVPipelineTests {
    @Test("A pipeline file uses the sink like a built-in one, against the simulator")
    func pipelineEndToEnd() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/CSVSink/clicks.fsexport.yml").standardized.path
        let summary = try await PipelineHarness.run(file, sinks: [CSVSink.self], bundles: 3, environment: ["FSEXPORT_OUT": out])

        #expect(summary.bundles.count == 3)
        let csv = try String(contentsOfFile: "\(out)/clicks/2024-01-02.csv", encoding: .utf8)
        let rows = csv.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
        #expect(!rows.isEmpty)
        #expect(csv.hasPrefix("EventStart,UserId,PageUrl,EventTargetText\r\n"))
        // The external sink beside it counted the same bundle's events.
        let counts = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/counts/\(summary.bundles[1]).json"))) as! [String: Any]
        #expect((counts["counts"] as! [String: Int])["click"] == rows.count)
    }

    @Test("Validation reports the sink's own option errors at their line and column")
    func validation() throws {
        let text = "source: {start: 0}\nstages:\n  c: {type: csv, inputs: [source], colums: [a]}\n  f: {type: files, inputs: [c], path: x}\n"
        let problems = PipelineHarness.problems(in: text, sinks: [CSVSink.self], file: "p.yml").joined(separator: "\n")
        #expect(problems.contains("p.yml:3:"))
        #expect(problems.contains("did you mean 'colums'") || problems.contains("did you mean 'columns'"))
    }
}

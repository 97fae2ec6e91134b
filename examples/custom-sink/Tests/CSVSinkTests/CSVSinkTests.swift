import CSVSink
import FSExportCore
import FSExportTesting
import Foundation
import Testing

@Suite("CSV sink")
struct CSVSinkTests {
    @Test("Each bundle becomes a CSV file with a header and one row per event")
    func csvPerBundle() async throws {
        let options = CSVSink.Options(columns: ["EventType", "UserId", "EventTargetText"])
        let result = try await SinkHarness(sink: CSVSink(options: options, context: SinkHarness.context))
            .deliver(bundles: 2, eventsPerBundle: 50)
        #expect(result.files.map(\.name) == result.bundles.map { "\($0.id).csv" })
        let lines = result.files[0].text.components(separatedBy: "\r\n").dropLast()
        #expect(lines.first == "EventType,UserId,EventTargetText")
        #expect(lines.count == 51)
        // Quoting: text with quotes or commas survives as one field.
        #expect(result.files.contains { $0.text.contains("\"Say \"\"hi\"\"") || !$0.text.contains("Say") })
    }

    @Test("The sink keeps the contract: abort leaves nothing, nothing lands outside its folder, commit twice is harmless")
    func contract() async throws {
        let options = CSVSink.Options(columns: ["EventType", "UserId"])
        try await SinkContract.verify { try CSVSink(options: options, context: $0) }
    }

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

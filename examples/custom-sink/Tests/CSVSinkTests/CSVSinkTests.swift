import CSVSink
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportSimulator
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
        var registry = SinkRegistry.builtIn
        registry.register(CSVSink.self)
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/CSVSink/clicks.fsexport.yml").standardized.path
        let pipeline = try Pipeline.load(path: file, registry: registry, environment: ["FSEXPORT_OUT": out])

        let simulator = try await ExportSimulator.start(SimulatorConfiguration(dataset: SimulatedDataset(bundleCount: 3), rateLimit: nil))
        let engine = try pipeline.makeEngine(
            overrides: .init(baseURL: simulator.baseURL, apiKey: try APIKey(simulator.configuration.apiKey)), logger: .init(label: "test"))
        let summary = try await engine.runOnce()
        await simulator.shutdown()

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
        var registry = SinkRegistry.builtIn
        registry.register(CSVSink.self)
        let text = "source: {start: 0}\nstages:\n  c: {type: csv, inputs: [source], colums: [a]}\n  f: {type: files, inputs: [c], path: x}\n"
        do {
            _ = try Pipeline.load(text: text, file: "p.yml", baseDirectory: "/tmp", registry: registry, environment: [:])
            Issue.record("accepted a misspelt option")
        } catch let error as PipelineFileError {
            #expect(error.description.contains("p.yml:3:"))
            #expect(error.description.contains("did you mean 'colums'") || error.description.contains("did you mean 'columns'"))
        }
    }
}

import CSVSink
import FSExportCore
import FSExportSinkTesting
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
}

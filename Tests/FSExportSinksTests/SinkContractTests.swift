import Foundation
import FSExportCore
import FSExportSinks
import FSExportSinkTesting
import Testing

/// Every built-in sink keeps the contract ``SinkContract`` checks, and the check catches sinks that do not.
@Suite("The sink contract")
struct SinkContractTests {
    /// A sink's options, written as in a pipeline file (JSON is YAML).
    static func options<T: Decodable>(_ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    @Test("files, in every format, keeps the contract")
    func files() async throws {
        try await SinkContract.verify { try FilesSink(options: Self.options(#"{"path": "raw/{id}.json.gz"}"#), context: $0) }
        try await SinkContract.verify { try FilesSink(options: Self.options(#"{"path": "{id}.ndjson.gz", "format": "ndjson", "compression": "gzip"}"#), context: $0) }
        try await SinkContract.verify {
            try FilesSink(options: Self.options(#"{"path": "out/{id}.json", "root": "deeper", "format": "json", "if_exists": "error"}"#), context: $0)
        }
    }

    @Test("ndjson, tar and command keep the contract")
    func others() async throws {
        try await SinkContract.verify { try NDJSONSink(options: Self.options(#"{"max_lines": 7, "split_by": "EventType", "compression": "gzip"}"#), context: $0) }
        try await SinkContract.verify { try TarSink(options: Self.options(#"{"compression": "gzip"}"#), context: $0) }
        try await SinkContract.verify { try CommandSink(options: Self.options(#"{"command": ["wc", "-l"], "output": "{id}.count"}"#), context: $0) }
    }

    /// Writes straight into its folder while delivering, and, if asked, next to it too.
    struct CarelessSink: Sink {
        let folder: String
        var escape = false

        func deliver(_ delivery: Delivery) async throws -> Commit {
            for try await _ in delivery.input.events {}
            try "\(delivery.bundle.id) \(UUID())".write(toFile: "\(folder)/\(delivery.bundle.id).txt", atomically: true, encoding: .utf8)
            if escape { try "out".write(toFile: "\(folder)/../escaped.txt", atomically: true, encoding: .utf8) }
            return .nothing
        }
    }

    @Test("The check catches a sink that writes before commit, outside its folder, or differently twice")
    func catchesViolations() async throws {
        do {
            try await SinkContract.verify { CarelessSink(folder: $0.baseDirectory, escape: true) }
            Issue.record("a careless sink passed")
        } catch let violations as SinkContract.Violations {
            let text = violations.failures.joined(separator: "\n")
            #expect(text.contains("after abort"), "\(text)")
            #expect(text.contains("outside the sink's folder") && text.contains("escaped.txt"), "\(text)")
            #expect(text.contains("again changed"), "\(text)")
        }
    }
}

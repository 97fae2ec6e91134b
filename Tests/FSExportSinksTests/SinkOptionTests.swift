import Foundation
import FSExportCore
import FSExportSinks
import Testing

/// Each built-in sink refuses, when it is built, options that every delivery would fail on.
@Suite("Built-in sink options")
struct SinkOptionTests {
    static let context = SinkContext(stage: "s", baseDirectory: "/nonexistent", readsSource: true, hasDownstream: true)

    static func refuses<S: ConfigurableSink>(_ type: S.Type, _ json: String, context: SinkContext = context, because reason: String) {
        do {
            _ = try S(options: try JSONDecoder().decode(S.Options.self, from: Data(json.utf8)), context: context)
            Issue.record("\(S.type) accepted \(json)")
        } catch {
            #expect("\(error)".contains(reason), "\(error)")
        }
    }

    @Test("files: paths that leave the root, and formats that need the events")
    func files() {
        Self.refuses(FilesSink.self, #"{"path": "../up/{id}"}"#, because: "leave its folder")
        Self.refuses(FilesSink.self, #"{"path": "/etc/{id}"}"#, because: "absolute")
        Self.refuses(FilesSink.self, #"{"path": "{id}", "format": "raw", "compression": "gzip"}"#, because: "compression applies to format json or ndjson")
        Self.refuses(
            FilesSink.self, #"{"path": "{id}", "format": "ndjson"}"#,
            context: SinkContext(stage: "s", baseDirectory: "/x", readsSource: false, hasDownstream: false), because: "needs 'inputs: [source]'")
    }

    @Test("ndjson: split names need {value} and {part}; parts must go somewhere")
    func ndjson() {
        Self.refuses(NDJSONSink.self, #"{"split_by": "EventType", "name": "{id}-{part}.ndjson"}"#, because: "must contain {value}")
        Self.refuses(NDJSONSink.self, #"{"max_lines": 5, "name": "{id}.ndjson"}"#, because: "must contain {part}")
        Self.refuses(NDJSONSink.self, #"{"max_lines": 0}"#, because: "above 0")
        Self.refuses(
            NDJSONSink.self, #"{}"#, context: SinkContext(stage: "s", baseDirectory: "/x", readsSource: true, hasDownstream: false), because: "go nowhere")
    }

    @Test("tar and command: unknown compression, a name that leaves its folder, {name} without a file")
    func others() {
        Self.refuses(TarSink.self, #"{"compression": "zip"}"#, because: "compression: must be none, gzip, bzip2, xz or zstd, not")
        Self.refuses(TarSink.self, #"{"name": "../{id}.tar"}"#, because: "leave its folder")
        Self.refuses(CommandSink.self, #"{"command": ["cat"], "output": "{name}"}"#, because: "{name}")
        Self.refuses(CommandSink.self, #"{"command": []}"#, because: "command is empty")
    }
}

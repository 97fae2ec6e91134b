import Foundation
import FSExportClient
import FSExportCore
import FSExportPipeline
import Testing

/// Pipeline files and state files that every run would fail on, or that would exhaust memory:
/// refused when they are loaded, at their line and column.
@Suite("Hostile pipeline and state files")
struct HostilePipelineFileTests {
    static let stages = "stages:\n  raw: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n"

    @Test(
        "validate refuses what every run would fail, at the value's line and column",
        arguments: [
            ("source: {start: 0}\nstages:\n  raw: {type: files, inputs: [source], path: \"../x/{id}\"}\n", 3, "leave its folder"),
            ("source: {start: 0}\nstages:\n  raw: {type: files, inputs: [source], path: \"/etc/{id}\"}\n", 3, "absolute"),
            ("source: {start: 0}\nstages:\n  raw: {type: files, inputs: [source], path: \"\"}\n", 3, "empty"),
            ("source: {start: 0}\nstages:\n  raw: {type: files, inputs: [source], path: \"a//{id}\"}\n", 3, "empty part"),
            ("source: {start: 0}\nstages:\n  run: {type: command, inputs: [source], command: [cat], output: \"{name}\"}\n  out: {type: files, inputs: [run], path: \"{name}\"}\n", 3, "{name}"),
            ("source: {start: 0}\nstages:\n  split: {type: ndjson, inputs: [source], name: \"../{id}-{part}.ndjson\", max_lines: 5}\n  out: {type: files, inputs: [split], path: \"{name}\"}\n", 3, "leave its folder"),
            ("source:\n  start: last tuesday\n" + stages, 2, "cannot read 'last tuesday' as a time"),
            ("source:\n  start: 0\n  until: 99999-01-01\n" + stages, 3, "as a time"),
            ("source:\n  start: 0\n  settle: a day\n" + stages, 3, "as a duration"),
            ("source:\n  start: 0\n  retry: {max_time: forever}\n" + stages, 3, "as a duration"),
            ("source:\n  start: 0\n  max_event_size: lots\n" + stages, 3, "as a size"),
            ("source:\n  start: 0\n  method: put\n" + stages, 3, "get or post"),
            ("source:\n  start: 0\n  rate_limit: {burst: 0}\n" + stages, 3, "at least 1"),
            ("source:\n  start: ${NOT_SET_ANYWHERE}\n" + stages, 2, "NOT_SET_ANYWHERE is not set"),
        ])
    func validateRefuses(_ text: String, _ line: Int, _ message: String) {
        let found = ValidationTests.diagnostics(text, mode: .validate)
        #expect(found.contains { $0.line == line && $0.severity == .error && $0.message.contains(message) }, "\(found)")
    }

    @Test("Network limits are options: timeouts.connect, .stall and .min_speed, retry.max_retry_after, max_event_size")
    func limitOptions() throws {
        let text = """
            source:
              start: 0
              api_key: k
              timeouts: {connect: 5s, stall: 30s, min_speed: 4KiB/s}
              retry: {max_retry_after: 10m}
              max_event_size: 1MiB
            stages:
              raw: {type: files, inputs: [source], path: "{id}.json.gz"}
            """
        let pipeline = try Pipeline.load(text: text, file: "p.yml", baseDirectory: "/tmp", environment: [:])
        let client = try pipeline.clientConfiguration()
        #expect(client.timeouts == Timeouts(connect: .seconds(5), stallWindow: .seconds(30), stallBytesPerSecond: 4096))
        #expect(client.retry.maxRetryAfter == .seconds(600))
        #expect(try pipeline.engineConfiguration().maximumEventSize == 1 << 20)
    }

    @Test("An alias bomb is refused at its first alias, at once, in little memory")
    func aliasBomb() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...10 {
            let previous = (0..<9).map { _ in "*a\(level - 1)" }.joined(separator: ", ")
            text += "a\(level): &a\(level) [\(previous)]\n"
        }
        text += "source: {start: 0}\n" + Self.stages
        let clock = ContinuousClock()
        let started = clock.now
        let found = ValidationTests.diagnostics(text, mode: .validate)
        #expect(clock.now - started < .seconds(5))  // expanding the bomb would take hours
        #expect(found.count == 1)
        #expect(found.first?.line == 2 && found.first?.column == 10)
        #expect(found.first?.message.contains("alias") == true)
    }

    @Test("A long string aliased many times is refused at once, however few the aliases", arguments: [100, 20_000])
    func longAliasedString(_ uses: Int) {
        let text = "long: &long \"\(String(repeating: "x", count: 1 << 20))\"\nmany: [\((0..<uses).map { _ in "*long" }.joined(separator: ", "))]\n"
            + "source: {start: 0}\n" + Self.stages
        let started = ContinuousClock.now
        let found = ValidationTests.diagnostics(text, mode: .validate)
        #expect(ContinuousClock.now - started < .seconds(5))  // 20,000 uses of 1 MiB never finished
        #expect(found.map(\.message) == ["aliases expand this file to more than 4 MiB of text (an alias bomb?); write the repeated settings out, or alias less"])
        #expect(found.first?.line == 2 && found.first?.column == 8)
    }

    @Test("Aliases a pipeline really uses are fine")
    func modestAliases() throws {
        let text = """
            source: {start: 0, settle: 0s}
            stages:
              raw: {type: files, inputs: &from [source], path: "raw/{id}.json.gz", root: &root out}
              copy: {type: files, inputs: *from, path: "copy/{id}.json.gz", root: *root}
            """
        let pipeline = try Pipeline.load(text: text, file: "p.yml", baseDirectory: "/tmp", environment: [:], mode: .validate)
        #expect(pipeline.stages.count == 2)
    }

    static func stateFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-state-\(UUID().uuidString).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(
        "A state file with numbers no run writes is refused with its path, never trusted or trapped on",
        arguments: [
            #"{"bundle_id": 1, "stop": -9223372036854775808, "committed_at": ""}"#,
            #"{"bundle_id": 1, "stop": 9223372036854775807, "committed_at": ""}"#,
            #"{"bundle_id": -5, "stop": 100, "committed_at": ""}"#,
            #"{"bundle_id": 1, "stop": 100, "delivered_at_stop": [0]}"#,
            #"{"bundle_id": 1, "stop": 1e400}"#,
            #"{"bundle_id": 1}"#,
            "[]",
            "",
        ])
    func hostileStateFile(_ text: String) throws {
        let path = try Self.stateFile(text)
        defer { unlink(path) }
        do {
            _ = try CheckpointStore(path: path).load()
            Issue.record("accepted \(text)")
        } catch let error as StateFileError {
            #expect("\(error)".contains(path))
        }
    }

    @Test("A state file written before delivered_at_stop existed still resumes after its bundle")
    func oldStateFile() throws {
        let path = try Self.stateFile(#"{"bundle_id": 170406720048, "stop": 1704153600, "committed_at": "2024-01-02T00:00:00Z"}"#)
        defer { unlink(path) }
        let checkpoint = try #require(try CheckpointStore(path: path).load())
        #expect(checkpoint.resumption == .init(listFrom: 1_704_153_599, skipping: [170_406_720_048], at: 1_704_153_600))
    }

    @Test("The checkpoint only moves forward, and remembers every bundle delivered at its Stop")
    func checkpointForwardOnly() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-state-\(UUID().uuidString).json").path
        defer { unlink(path) }
        let store = CheckpointStore(path: path)
        var checkpoint = try store.record(ExportBundle(id: 2, start: 0, stop: 200), after: nil)
        checkpoint = try store.record(ExportBundle(id: 3, start: 0, stop: 200), after: checkpoint)
        checkpoint = try store.record(ExportBundle(id: 1, start: 0, stop: 100), after: checkpoint)  // out of order: no step back
        #expect(try store.load() == checkpoint)
        #expect(checkpoint.stop == 200 && checkpoint.deliveredAtStop == [2, 3])
        #expect(checkpoint.resumption.isDelivered(ExportBundle(id: 3, start: 0, stop: 200)))
        #expect(!checkpoint.resumption.isDelivered(ExportBundle(id: 4, start: 0, stop: 200)))
        checkpoint = try store.record(ExportBundle(id: 9, start: 0, stop: 300), after: checkpoint)
        #expect(checkpoint.deliveredAtStop == [9])
    }
}

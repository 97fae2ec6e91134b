import FSExportSimulatedData
import Foundation
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportSimulator
import FSExportTestSupport
import FSExportZlib
import Testing

/// `source: {type: segments}` exports windows through the Segment Export API (create, poll,
/// results, download from storage) into the same engine, state file and sinks as the legacy API.
@Suite("The segments source", .serialized)
struct SegmentSourceTests {
    /// Four simulated days (the third empty) of 300 events.
    static let dataset = SimulatedDataset(bundleCount: 4, eventsPerBundle: 300, emptyBundles: [2])

    /// Exports finish at the first look unless `runningPolls` says otherwise: a pipeline file polls
    /// no faster than once a second, and polling is what the tests that ask for it look at.
    static func simulator(faults: [FaultRule] = [], runningPolls: Int = 0) -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration(dataset: dataset, rateLimit: nil, faults: faults)
        configuration.exportRunningPolls = runningPolls
        return configuration
    }

    /// Every event line below `folder`, as a sorted list: the multiset of what was delivered.
    static func lines(below folder: String, in workspace: TemporaryFolder) throws -> [String] {
        try workspace.tree().filter { $0.key.hasPrefix(folder + "/") }.values
            .flatMap { String(decoding: $0, as: UTF8.self).split(separator: "\n").map(String.init) }.sorted()
    }

    /// The legacy API's events for the same days, as NDJSON lines.
    static func legacyLines(_ simulator: ExportSimulator, in workspace: TemporaryFolder) async throws -> [String] {
        let file = try workspace.write("api.yml", """
            source: {start: 0, settle: 0s, state: api.state}
            stages:
              lines: {type: files, inputs: [source], format: ndjson, path: "api/{id}.ndjson"}
            """)
        try await runPipeline(file, simulator: simulator)
        return try lines(below: "api", in: workspace)
    }

    static func segmentsPipeline(
        _ workspace: TemporaryFolder, window: String = "1d", format: String = "ndjson", until: String = "2024-01-05", extra: String = ""
    ) throws -> String {
        try workspace.write("segments.yml", """
            source:
              type: segments
              segment: everyone
              format: \(format)
              window: \(window)
              start: 2024-01-01
              until: \(until)
              settle: 0s
              poll_interval: 1s
              state: segments.state\(extra)
            stages:
              lines: {type: files, inputs: [source], format: ndjson, path: "segments/{id}.ndjson"}
            """)
    }

    @Test(
        "Windows of any size deliver exactly the legacy bundles' events, each once",
        arguments: [("1h", "ndjson", "2024-01-05"), ("1d", "json", "2024-01-05"), ("7d", "ndjson", "2024-01-11")])
    func sameEvents(_ window: String, _ format: String, _ until: String) async throws {
        let workspace = try TemporaryFolder("pipeline")
        try await withSimulator(Self.simulator()) { simulator in
            let expected = try await Self.legacyLines(simulator, in: workspace)
            #expect(expected.count == 900)
            let summary = try await runPipeline(try Self.segmentsPipeline(workspace, window: window, format: format, until: until), simulator: simulator)
            #expect(summary.events == 900)
            #expect(try Self.lines(below: "segments", in: workspace) == expected)
            // The key went to the API alone: every storage download came without it.
            let storage = await simulator.requests.filter { $0.endpoint == .storage }
            #expect(storage.count == summary.bundles.count)
            #expect(storage.allSatisfy { !$0.authorized && $0.status == 200 })
        }
    }

    @Test("A FAILED export is created again, 429 is waited out, an expired or reset download is fetched again: the events are the same")
    func faults() async throws {
        let workspace = try TemporaryFolder("pipeline")
        let faults = [
            FaultRule(.failed, on: .operation, .requests([2])), FaultRule(.tooManyRequests, on: .create, .requests([1]), retryAfter: 0),
            FaultRule(.expired, on: .storage, .requests([1])), FaultRule(.reset, on: .storage, .requests([3])),
        ]
        try await withSimulator(Self.simulator(faults: faults)) { simulator in
            let expected = try await Self.legacyLines(simulator, in: workspace)
            try await runPipeline(try Self.segmentsPipeline(workspace), simulator: simulator)
            #expect(try Self.lines(below: "segments", in: workspace) == expected)
            let requests = await simulator.requests
            let creates = requests.filter { $0.endpoint == .create }
            #expect(creates.map(\.status) == [429] + Array(repeating: 200, count: 5))  // 4 windows and one FAILED again
            #expect(requests.filter { $0.endpoint == .results }.count == 5)  // 4, and one more after the expired location
            #expect(requests.contains { $0.endpoint == .storage && $0.rangeStart != nil })  // the reset resumed
            // Every create asked for a window of one day, with the whole segment's time.
            let body = try #require(creates.last?.body)
            #expect(body.contains(#""segmentTimeRange":{"end":"","start":""}"#) && body.contains(#""timeRange":{"end":"2024-01-05T00:00:00Z","start":"2024-01-04T00:00:00Z"}"#))
        }
    }

    @Test("An export that keeps failing ends the run with Fullstory's errorDetails; the windows before it stay delivered")
    func failing() async throws {
        let workspace = try TemporaryFolder("pipeline")
        try await withSimulator(Self.simulator(faults: [FaultRule(.failed, on: .operation, .requests(Set(2...100)))])) { simulator in
            do {
                try await runPipeline(try Self.segmentsPipeline(workspace), simulator: simulator)
                Issue.record("a failing export was delivered")
            } catch let error as ExportError {
                guard case .exportFailed(let window, let attempts, let details) = error else { throw error }
                #expect(window.contains("2024-01-02T00:00:00Z") && attempts == 3 && details.contains("simulated failure"))
            }
            let state = try #require(try CheckpointStore(path: "\(workspace.path)/segments.state", scope: "segment exports (segment everyone, events, window 86400s)").load())
            #expect(state.stop == Timestamp.unixSeconds(year: 2024, month: 1, day: 2))
        }
    }

    @Test("A long-running export is polled at its interval, its percentage reported, until it completes")
    func longRunning() async throws {
        try await withSimulator(Self.simulator(runningPolls: 12)) { simulator in
            let source = try SegmentExportSource(
                settings: SegmentExportSettings(segment: "everyone", format: .json, pollInterval: .milliseconds(5)),
                configuration: ExportClientConfiguration(apiKey: try APIKey(simulator.configuration.apiKey), baseURL: simulator.baseURL, rateLimit: .unlimited))
            let percents = PercentLog()
            let window = ExportBundle(id: 1_704_067_200, start: 1_704_067_200, stop: 1_704_153_600)
            let folder = try TemporaryFolder("pipeline")
            let file = try await source.fetch(window, to: "\(folder.path)/w.json.gz") { progress in percents.add(progress.preparedPercent) }
            #expect(file.content == .bundle(.gzip) && file.artifact.name == "1704067200.json.gz")
            let reported = percents.values.compactMap { $0 }
            #expect(reported.count == 12 && reported == reported.sorted() && reported.last! > 80)
            #expect(await simulator.requests.filter { $0.endpoint == .operation }.count == 13)
            // A one-day window of the JSON format is the legacy bundle of that day, byte for byte.
            let bundle = try await ExportClient(configuration: .init(apiKey: try APIKey(simulator.configuration.apiKey), baseURL: simulator.baseURL))
                .download(window.start * 100 + 48, to: "\(folder.path)/b.json.gz")
            #expect(try Self.inflated(file.path) == Self.inflated(bundle.path))
        }
    }

    static let oneDay = ExportBundle(id: 1_704_067_200, start: 1_704_067_200, stop: 1_704_153_600)

    @Test("An export that never finishes is given up after poll_timeout, with a message that says so; its polls obey the rate limit")
    func neverFinishes() async throws {
        try await withSimulator(Self.simulator(runningPolls: 1_000_000)) { simulator in
            let source = try SegmentExportSource(
                settings: SegmentExportSettings(segment: "everyone", pollInterval: .milliseconds(1), pollTimeout: .seconds(2)),
                configuration: ExportClientConfiguration(
                    apiKey: try APIKey(simulator.configuration.apiKey), baseURL: simulator.baseURL, rateLimit: RateLimit(burst: 3, perMinute: 240)))
            let folder = try TemporaryFolder("pipeline")
            let started = ContinuousClock.now
            let error = await #expect(throws: ExportError.self) { _ = try await source.fetch(Self.oneDay, to: "\(folder.path)/w.json.gz", progress: nil) }
            guard case .exportTimedOut(_, _, let waited, let percent)? = error else { Issue.record("\(String(describing: error))"); return }
            #expect(waited == "2s" && percent != nil)
            #expect("\(error!)".contains("still running after 2s") && "\(error!)".contains("poll_timeout"))
            #expect(ContinuousClock.now - started < .seconds(10))
            // 1 ms apart they would be about 2,000 looks; the bucket allows 3 at once and 4 a second.
            let polls = await simulator.requests.filter { $0.endpoint == .operation }.count
            #expect((3...14).contains(polls), "\(polls) polls in 2 s")
        }
    }

    @Test("An operation state the API does not document is a data error at the first look, not a reason to poll forever", arguments: ["WEIRD", "", "running", "CANCELLED"])
    func unknownState(_ state: String) async throws {
        let server = try ScriptedServer { request in
            switch request.path {
            case "/segments/v1/exports": .json(#"{"operationId":"op-1"}"#)
            case "/operations/v1/op-1": .json(#"{"id":"op-1","state":"\#(state)","estimatePctComplete":10}"#)
            default: .json("{}", status: 404)
            }
        }
        let source = try SegmentExportSource(
            settings: SegmentExportSettings(segment: "everyone", pollInterval: .milliseconds(1)),
            configuration: ExportClientConfiguration(apiKey: try APIKey("scripted-key"), baseURL: server.baseURL, rateLimit: .unlimited))
        let folder = try TemporaryFolder("pipeline")
        let error = await #expect(throws: ExportError.self) { _ = try await source.fetch(Self.oneDay, to: "\(folder.path)/w.json.gz", progress: nil) }
        guard case .invalidResponse(let message)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.contains("does not document"), "\(message)")
        #expect(server.requestCount == 2)
    }

    @Test("Segment answers that repeat a key are a data error: a state both FAILED and COMPLETED, two locations", arguments: [
        ("/operations/v1/op-1", #"{"id":"op-1","state":"FAILED","state":"COMPLETED","results":{"searchExportId":"e-1"}}"#),
        ("/search/v1/exports/e-1/results", #"{"location":"http://127.0.0.1:1/a","location":"http://127.0.0.1:1/b"}"#),
        ("/segments/v1/exports", #"{"operationId":"op-1","operationId":"op-2"}"#),
    ])
    func repeatedKeys(_ path: String, _ body: String) async throws {
        let server = try ScriptedServer { request in
            if request.path == path { return .json(body) }
            switch request.path {
            case "/segments/v1/exports": return .json(#"{"operationId":"op-1"}"#)
            case "/operations/v1/op-1": return .json(#"{"id":"op-1","state":"COMPLETED","results":{"searchExportId":"e-1"}}"#)
            default: return .json("{}", status: 404)
            }
        }
        let source = try SegmentExportSource(
            settings: SegmentExportSettings(segment: "everyone", pollInterval: .milliseconds(1)),
            configuration: ExportClientConfiguration(apiKey: try APIKey("scripted-key"), baseURL: server.baseURL, rateLimit: .unlimited))
        let folder = try TemporaryFolder("pipeline")
        let error = await #expect(throws: ExportError.self) { _ = try await source.fetch(Self.oneDay, to: "\(folder.path)/w.json.gz", progress: nil) }
        guard case .invalidResponse(let message)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.contains("twice in one object"), "\(message)")
    }

    @Test("poll_interval below 1s and a poll_timeout of 0 are refused at their line and column")
    func pollingLimits() {
        let stages = "stages:\n  raw: {type: files, inputs: [source], path: \"{id}\"}\n"
        for (interval, expected) in [("0s", true), ("500ms", true), ("1s", false), ("10s", false)] {
            let found = ValidationTests.diagnostics(
                "source: {type: segments, segment: everyone, start: 2024-01-01, poll_interval: \(interval)}\n" + stages, mode: .validate)
            #expect(found.contains { $0.message.contains("poll_interval must be at least 1s") && $0.line == 1 && $0.column == 79 } == expected, "\(interval): \(found)")
        }
        let found = ValidationTests.diagnostics("source: {type: segments, segment: everyone, start: 2024-01-01, poll_timeout: 0s}\n" + stages, mode: .validate)
        #expect(found.map(\.message) == ["poll_timeout must be above 0"])
    }

    static func inflated(_ path: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try DownloadedBundle(id: 1, path: path, encoding: .gzip, byteCount: 0).readDecoded { bytes.append(contentsOf: $0) }
        return bytes
    }

    @Test("Resuming after some windows delivers the rest, none twice; a state file of another source is refused")
    func resume() async throws {
        let workspace = try TemporaryFolder("pipeline")
        try await withSimulator(Self.simulator()) { simulator in
            let expected = try await Self.legacyLines(simulator, in: workspace)
            let first = try await runPipeline(try Self.segmentsPipeline(workspace, until: "2024-01-03"), simulator: simulator)
            #expect(first.bundles == [1_704_067_200, 1_704_153_600])
            let rest = try await runPipeline(try Self.segmentsPipeline(workspace), simulator: simulator)
            #expect(rest.bundles == [1_704_240_000, 1_704_326_400])
            #expect(try Self.lines(below: "segments", in: workspace) == expected)

            let hourly = try Self.segmentsPipeline(workspace, window: "1h")
            await #expect(throws: StateFileError.self) { try await runPipeline(hourly, simulator: simulator) }
            let legacy = try workspace.write("legacy.yml", "source: {start: 0, settle: 0s, state: segments.state}\nstages:\n  x: {type: files, inputs: [source], path: \"x/{id}\"}\n")
            do {
                try await runPipeline(legacy, simulator: simulator)
                Issue.record("a legacy pipeline read a segments state file")
            } catch let error as StateFileError {
                #expect("\(error)".contains("segment exports (segment everyone") && "\(error)".contains("state file of its own"))
            }
        }
    }

    @Test("A segments export loads into a database table like the legacy API's bundles: a row per event, a ledger row per window")
    func intoDatabase() async throws {
        let workspace = try TemporaryFolder("pipeline")
        try await withSimulator(Self.simulator()) { simulator in
            let expected = try await Self.legacyLines(simulator, in: workspace)
            let file = try workspace.write("db.yml", """
                source: {type: segments, segment: everyone, format: ndjson, start: 2024-01-01, until: 2024-01-05, settle: 0s, poll_interval: 1s, state: db.state}
                stages:
                  db: {type: sqlite, inputs: [source], path: segments.db}
                """)
            let summary = try await runPipeline(file, simulator: simulator)
            #expect(summary.events == 900)
            let database = "\(workspace.path)/segments.db"
            let types = try runProgram("/usr/bin/sqlite3", ["-batch", database, "SELECT eventtype FROM fullstory_events"])
                .split(separator: "\n").map(String.init).sorted()
            let legacyTypes = try expected.map { line in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try #require(object["EventType"] as? String)
            }.sorted()
            #expect(types == legacyTypes)
            let ledger = try runProgram("/usr/bin/sqlite3", ["-batch", database, "SELECT count(*), sum(events) FROM fsexport_loads"])
            #expect(ledger.trimmingCharacters(in: .whitespacesAndNewlines) == "\(summary.bundles.count)|900")
        }
    }

    @Test("A CSV export reaches stages that read files, as ID.csv.gz; a segment that does not exist is a 404 that says so")
    func csvAndMissingSegment() async throws {
        let workspace = try TemporaryFolder("pipeline")
        try await withSimulator(Self.simulator()) { simulator in
            let file = try workspace.write("csv.yml", """
                source: {type: segments, segment: everyone, format: csv, fields: [IndvId, EventType], start: 2024-01-01, until: 2024-01-02, settle: 0s, poll_interval: 1s, state: csv.state}
                stages:
                  raw: {type: files, inputs: [source], path: "csv/{name}"}
                """)
            try await runPipeline(file, simulator: simulator)
            let csv = String(decoding: try Self.inflated("\(workspace.path)/csv/1704067200.csv.gz"), as: UTF8.self).split(separator: "\n")
            #expect(csv.first == "IndvId,EventType" && csv.count == 301)

            let missing = try workspace.write("missing.yml", "source: {type: segments, segment: nosuch, start: 2024-01-01, until: 2024-01-02, settle: 0s, state: m.state}\nstages:\n  x: {type: files, inputs: [source], path: \"x/{id}\"}\n")
            do {
                try await runPipeline(missing, simulator: simulator)
                Issue.record("a missing segment was exported")
            } catch let error as ExportError {
                guard case .segmentNotFound("nosuch") = error else { throw error }
            }
        }
    }

    @Test("An individuals export lists each individual of a window once; fields, scope and timezone reach the API as given")
    func individuals() async throws {
        let workspace = try TemporaryFolder("pipeline")
        try await withSimulator(Self.simulator()) { simulator in
            let expected = try await Self.legacyLines(simulator, in: workspace)
            let file = try workspace.write("people.yml", """
                source:
                  type: segments
                  segment: everyone
                  export_type: individuals
                  format: ndjson
                  scope: SCOPE_SESSIONS
                  timezone: Europe/Paris
                  start: 2024-01-01
                  until: 2024-01-03
                  settle: 0s
                  poll_interval: 1s
                  state: people.state
                stages:
                  lines: {type: files, inputs: [source], format: ndjson, path: "people/{start:%F}.ndjson"}
                """)
            try await runPipeline(file, simulator: simulator)
            for (day, bundle) in [("2024-01-01", Self.dataset.bundle(at: 0)), ("2024-01-02", Self.dataset.bundle(at: 1))] {
                let people = String(decoding: try workspace.bytes("people/\(day).ndjson"), as: UTF8.self).split(separator: "\n")
                let ids = try people.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["IndvId"] as? Int64 }
                // Exactly the distinct individuals of that day's events, each once.
                let dayEvents = try expected.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
                    .filter { ($0["EventStart"] as? String)?.hasPrefix(day) == true }
                #expect(!ids.isEmpty && !ids.contains(nil) && Set(ids).count == ids.count && Set(ids) == Set(dayEvents.map { $0["IndvId"] as? Int64 }), "bundle \(bundle.id)")
            }
            let body = try #require(await simulator.requests.first { $0.endpoint == .create }?.body)
            #expect(body.contains(#""type":"TYPE_INDIVIDUAL""#) && body.contains(#""scope":"SCOPE_SESSIONS""#) && body.contains(#""timezone":"Europe\/Paris""#))
        }
    }

    @Test("validate knows what a segments source needs and refuses what it cannot do")
    func validation() {
        let stages = "stages:\n  raw: {type: files, inputs: [source], format: ndjson, path: \"{id}\"}\n"
        func messages(_ source: String) -> [String] { ValidationTests.diagnostics(source + "\n" + stages, mode: .validate).map(\.message) }
        #expect(messages("source: {type: segments, segment: everyone, start: 2024-01-01}").isEmpty)
        #expect(messages("source: {type: segments, start: 2024-01-01}").contains { $0.contains("needs 'segment'") })
        #expect(messages("source: {type: segments, segment: everyone}").contains { $0.contains("needs 'start'") })
        #expect(messages("source: {type: segmnets, segment: everyone}").contains { $0.contains("did you mean 'segments'") })
        #expect(messages("source: {type: segments, segment: everyone, start: 0, window: 30m}").contains { $0.contains("1h to 7d") })
        #expect(messages("source: {type: segments, segment: everyone, start: 0, export_type: sessions}").contains { $0.contains("events, individuals") })
        #expect(messages("source: {type: segments, segment: everyone, start: 0, format: ndjsn}").contains { $0.contains("did you mean 'ndjson'") })
        #expect(messages("source: {type: segments, segment: everyone, start: 0, format: csv}").contains { $0.contains("csv export holds none") })
        #expect(messages("source: {segment: everyone}").contains { $0.contains("type: segments") })
        #expect(messages("source: {type: segments, segment: 'a b', start: 0}").contains { $0.contains("segment id") })
    }
}

/// Collects progress reports from the transfer thread.
final class PercentLog: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [Int?] = []
    func add(_ value: Int?) { lock.withLock { collected.append(value) } }
    var values: [Int?] { lock.withLock { collected } }
}

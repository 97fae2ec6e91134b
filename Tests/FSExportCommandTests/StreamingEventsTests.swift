import FSExportSimulatedData
import Foundation
import FSExportSimulator
import FSExportTestSupport
import Testing

/// `fsexport events` decodes while the download arrives: a broken transfer resumes with a Range
/// request and decoding goes on where it stood; damage found after events were printed is exit 6,
/// saying the output is incomplete.
@Suite("events while the bundle arrives", .serialized)
struct StreamingEventsTests {
    /// The simulator's generated bundle, kept for every test of the suite.
    static let cache = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-streaming-\(getpid())").path

    /// Runs `events` against a simulator serving one bundle big enough to be printed in many
    /// batches (about 4 MB of JSON), with `fault`; through `| head -n 1` when `firstLine`.
    static func events(fault: String? = nil, eventCount: Int = 40_000, firstLine: Bool = false, spool: String? = nil) async throws -> CommandResult {
        try await withSimulator(try configuration(fault: fault, eventCount: eventCount)) { simulator in
            try await run(["events", "--base-url", simulator.baseURL, "--since", "0", "-q"], spool: spool, firstLine: firstLine)
        }
    }

    /// One bundle of 40 000 events (or `eventCount`), served with `fault`.
    static func configuration(fault: String?, eventCount: Int = 40_000) throws -> SimulatorConfiguration {
        SimulatorConfiguration(
            apiKey: "simulator-key", dataset: SimulatedDataset(bundleCount: 1, eventsPerBundle: eventCount), rateLimit: nil,
            faults: try fault.map { [try FaultRule(parsing: $0)] } ?? [], cacheDirectory: Self.cache)
    }

    /// Runs fsexport with `arguments` (and the spool folder), through `| head -n 1` when `firstLine`.
    static func run(_ arguments: [String], spool: String?, firstLine: Bool) async throws -> CommandResult {
        let arguments = arguments + (spool.map { ["--spool-dir", $0] } ?? [])
        guard firstLine else { return try await FSExportBinary.run(arguments, key: "simulator-key") }
        return try await Programs.shell(
            "'\(FSExportBinary.url.path)' \(arguments.joined(separator: " ")) | head -n 1", environment: ["FULLSTORY_API_KEY": "simulator-key"])
    }

    /// Runs `events --from` a segments pipeline (one day exported as `format`) against a
    /// simulator with `fault`; through `| head -n 1` when `firstLine`.
    static func segmentEvents(format: String, fault: String? = nil, firstLine: Bool = false, spool: String? = nil) async throws -> CommandResult {
        var served = try configuration(fault: fault)
        served.exportRunningPolls = 1
        return try await withSimulator(served) { simulator in
            let folder = try TemporaryFolder("folder")
            let pipeline = "\(folder)/segments.yml"
            try """
                source: {type: segments, segment: everyone, format: \(format), window: 1d, start: 2024-01-01, until: 2024-01-02, settle: 0s, \
                poll_interval: 1s, base_url: "\(simulator.baseURL)"}
                stages: {lines: {type: files, inputs: [source], root: out, path: "{name}"}}
                """.write(toFile: pipeline, atomically: true, encoding: .utf8)
            return try await run(["events", "--from", pipeline, "-q"], spool: spool, firstLine: firstLine)
        }
    }

    @Test("Segment exports stream too, NDJSON and JSON: the first events come out while the export downloads; a reset download resumes to the same output")
    func segments() async throws {
        for format in ["ndjson", "json"] {
            let clock = ContinuousClock()
            var started = clock.now
            let whole = try await Self.segmentEvents(format: format, fault: "slow@storage:always")
            let wholeTime = clock.now - started
            #expect(whole.status == 0, "\(format): \(whole.stderr)")
            #expect(whole.stdout.split(separator: "\n").count == 40_000, "\(format)")
            let reset = try await Self.segmentEvents(format: format, fault: "reset@storage:1")
            #expect(reset.status == 0 && reset.stdout == whole.stdout, "\(format): \(reset.stderr)")
            started = clock.now
            let spool = try TemporaryFolder("spool")
            let first = try await Self.segmentEvents(format: format, fault: "slow@storage:always", firstLine: true, spool: spool.path).stdout
            let firstTime = clock.now - started
            #expect(first.hasPrefix("{"), "\(format): \(first.prefix(200))")
            #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path).isEmpty, "\(format): the download stopped halfway left its file")
            #expect(firstTime * 2 < wholeTime, "\(format): first line after \(firstTime), the whole export after \(wholeTime)")
        }
    }

    @Test("A transfer reset or cut short halfway resumes, and the output is byte for byte the clean run's")
    func resumes() async throws {
        let clean = try await Self.events()
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stdout.split(separator: "\n").count == 40_000)
        for fault in ["reset@get:1", "truncate@get:1,2"] {
            let broken = try await Self.events(fault: fault)
            #expect(broken.status == 0, "\(fault): \(broken.stderr)")
            #expect(broken.stdout == clean.stdout, "\(fault): the output differs from the clean run's")
        }
    }

    @Test("Damage found after events were printed is exit 6, and says the output is incomplete")
    func damaged() async throws {
        let result = try await Self.events(fault: "corrupt@get:1")
        #expect(result.status == 6, "\(result.stderr)")
        #expect(result.stderr.contains("the output is incomplete"), "\(result.stderr)")
        let printed = result.stdout.split(separator: "\n").count
        #expect(printed > 0 && printed < 40_000, "\(printed) lines")
    }

    @Test("Damage found before any event was printed is fetched again, checked, and the output is the clean run's")
    func damagedEarly() async throws {
        // 200 events inflate to less than one chunk: the decoder finds the damage (its CRC-32
        // check, as the download leaves it) before it hands out a batch.
        let clean = try await Self.events(eventCount: 200)
        #expect(clean.status == 0 && clean.stdout.split(separator: "\n").count == 200, "\(clean.stderr)")
        let damaged = try await Self.events(fault: "corrupt@get:1", eventCount: 200)
        #expect(damaged.status == 0, "\(damaged.stderr)")
        #expect(damaged.stdout == clean.stdout, "the output differs from the clean run's")
    }

    @Test("The first events come out while the bundle is still arriving")
    func streams() async throws {
        // A slow server (16 KiB every 20 ms): the whole body takes about half a second; the first
        // batch of events needs a few of its pieces.
        let clock = ContinuousClock()
        var started = clock.now
        let whole = try await Self.events(fault: "slow@get:always")
        let wholeTime = clock.now - started
        #expect(whole.status == 0)
        started = clock.now
        let spool = try TemporaryFolder("spool")
        let first = try await Self.events(fault: "slow@get:always", firstLine: true, spool: spool.path).stdout
        let firstTime = clock.now - started
        #expect(first.hasPrefix("{"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path).isEmpty, "the download stopped halfway left its file")
        #expect(firstTime * 2 < wholeTime, "first line after \(firstTime), the whole bundle after \(wholeTime)")
    }
}

import ArgumentParser
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportSimulatedData
import FSExportSimulator
import Logging

/// For `--simulate`: runs `body` with a simulator of the default shape (nil when not asked for),
/// shut down however `body` ends.
func withSimulator<T>(if enabled: Bool, logger: Logger, _ body: (ExportSimulator?) async throws -> T) async throws -> T {
    guard enabled else { return try await body(nil) }
    // Its segment exports finish at the first look: a demonstration does not wait minutes.
    return try await ExportSimulator.withRunning(try SimulatorOptions.parse(["--export-polls", "0"]).configuration(), logger: logger) { simulator in
        logger.info("using the built-in simulator at \(simulator.baseURL)")
        return try await body(simulator)
    }
}

/// `overrides` pointed at a simulator with `--simulate` (its address and key), for `body`.
func withSimulator<T>(if enabled: Bool, logger: Logger, overriding overrides: Pipeline.Overrides, _ body: (Pipeline.Overrides) async throws -> T) async throws -> T {
    try await withSimulator(if: enabled, logger: logger) { simulator in
        var overrides = overrides
        if let simulator {
            overrides.baseURL = simulator.baseURL
            overrides.apiKey = try APIKey(simulator.configuration.apiKey)
        }
        return try await body(overrides)
    }
}

/// How to shape the simulator, for `fsexport simulate` and for `--simulate`.
struct SimulatorOptions: ParsableArguments {
    @Option(help: "Number of bundles served.")
    var bundles = 45

    @Option(help: "Events in each bundle.")
    var events = 200

    @Option(help: "Period each bundle covers: 1d (daily, most organisations) or 30m (large ones).")
    var bundleSpan = "1d"

    @Option(help: "Start of the first bundle (unix seconds or ISO 8601).")
    var firstStart = "2024-01-01T00:00:00Z"

    @Option(help: "Seed for the generated events and random faults; the same seed serves the same bytes.")
    var seed: UInt64 = 1

    @Option(
        name: .customLong("fault"),
        help: ArgumentHelp(
            "Inject a fault: FAULT[@ENDPOINT]:TRIGGER[:RETRY_AFTER]. Repeatable.",
            discussion: """
                FAULT is 503, 429, reset, truncate, corrupt or slow; for the Segment Export API also \
                failed (an operation ends FAILED) and expired (a download location has expired). \
                ENDPOINT is list or get (the legacy API), create, operation, results or storage \
                (the Segment Export API), or any. TRIGGER is request numbers (2,5), a rate (0.1) \
                or 'always'. Example: --fault reset:0.2 --fault 503@list:1:2 --fault failed:1
                """))
    var faults: [String] = []

    @Option(help: "The simulator's burst of calls (the real API's is 50).")
    var simulatorBurst = 50

    @Option(help: "The simulator's refill rate, calls a minute (the real API's is 2).")
    var simulatorPerMinute: Double = 2

    @Option(help: "Deflate level of served bundles: 6 is realistic, 0 stores (large downloads without the CPU cost).")
    var gzipLevel: Int32 = 6

    @Flag(help: "Serve bundles with 'Content-Encoding: gzip', as some deployments do.")
    var contentEncodingGzip = false

    @Flag(help: "Serve bundles as plain JSON, as a proxy that already inflated them would.")
    var plainJson = false

    @Option(help: "Spelling of the id key in LIST responses: Id (as real responses spell it, which real clients expect) or ID (as the documentation's example does, to test tolerant clients).")
    var idKey = "Id"

    @Option(help: "Polls a segment export answers PENDING or RUNNING before it completes (a large number: a long-running export).")
    var exportPolls = 2

    @Option(name: .customLong("segment"), help: "A segment id segment exports may name, besides everyone. Repeatable.")
    var segments: [String] = []

    func configuration(host: String = "127.0.0.1", port: Int = 0) throws -> SimulatorConfiguration {
        let span = try DurationText.parse(bundleSpan)
        guard span >= .seconds(1800) else { throw ValidationError("--bundle-span must be at least 30m") }
        guard (0...9).contains(gzipLevel) else { throw ValidationError("--gzip-level must be 0 to 9") }
        let start: Int64
        do { start = try Timestamp.parse(firstStart, now: 0) } catch { throw ValidationError("--first-start: \(error)") }
        let rules: [FaultRule]
        do { rules = try faults.map(FaultRule.init(parsing:)) } catch { throw ValidationError("\(error)") }
        guard exportPolls >= 0 else { throw ValidationError("--export-polls must be 0 or more") }
        var configuration = SimulatorConfiguration(
            host: host, port: port,
            dataset: SimulatedDataset(
                seed: seed, bundleCount: bundles, firstStart: start, span: Int64(span / .seconds(1)), eventsPerBundle: events),
            rateLimit: (simulatorBurst, simulatorPerMinute), faults: rules, idKey: idKey,
            contentEncodingGzip: contentEncodingGzip, servePlainJSON: plainJson, gzipLevel: gzipLevel)
        configuration.exportRunningPolls = exportPolls
        configuration.segments.formUnion(segments)
        return configuration
    }
}

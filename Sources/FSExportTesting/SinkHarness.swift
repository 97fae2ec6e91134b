import Foundation
import FSExportClient
import FSExportCore
import FSExportSimulator
import Logging

/// Drives a sink with simulated bundles, the way the engine does, so that a sink's unit test is a
/// few lines:
///
/// ```swift
/// let result = try await SinkHarness(sink: CSVSink(options: options, context: SinkHarness.context))
///     .deliver(bundles: 2, eventsPerBundle: 50)
/// #expect(result.files.count == 2)
/// #expect(result.files[0].text.hasPrefix("EventType,UserId\n"))
/// ```
///
/// Bundles come from an in-process simulator (realistic, seeded events) over loopback, are
/// downloaded and verified by the real client, decoded, delivered to the sink, and committed. The
/// files the sink publishes are captured in ``Result/files``.
public struct SinkHarness: Sendable {
    /// A context for building sinks in tests: stage "sink", relative paths under a temporary folder.
    public static var context: SinkContext {
        SinkContext(stage: "sink", baseDirectory: FileManager.default.temporaryDirectory.path, readsSource: true, hasDownstream: true)
    }

    /// What a run of the harness delivered.
    public struct Result: Sendable {
        /// The simulated bundles, in the order they were delivered.
        public var bundles: [ExportBundle]
        /// Events decoded across all bundles.
        public var events: Int
        /// The files the sink published, in order.
        public var files: [CapturingSink.File]
    }

    /// The sink under test.
    public let sink: any Sink

    public init(sink: any Sink) {
        self.sink = sink
    }

    /// Delivers `bundles` simulated bundles of `eventsPerBundle` events each (bundle indexes in
    /// `emptyBundles` have none), committing each one.
    public func deliver(bundles: Int = 1, eventsPerBundle: Int = 100, emptyBundles: Set<Int> = [], seed: UInt64 = 1) async throws -> Result {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-harness-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let configuration = SimulatorConfiguration(
            dataset: SimulatedDataset(seed: seed, bundleCount: bundles, eventsPerBundle: eventsPerBundle, emptyBundles: emptyBundles),
            rateLimit: nil)
        return try await ExportSimulator.withRunning(configuration) { try await run($0, work: work) }
    }

    private func run(_ simulator: ExportSimulator, work: String) async throws -> Result {
        let logger = Logger(label: "fsexport.harness")
        let client = ExportClient(
            configuration: ExportClientConfiguration(apiKey: try APIKey(simulator.configuration.apiKey), baseURL: simulator.baseURL, rateLimit: .unlimited),
            logger: logger)
        let capture = CapturingSink()
        let delivery = BundleDelivery(
            stages: [Stage(name: "sink", sink: sink, inputs: [.source]), Stage(name: "capture", sink: capture, inputs: [.stage("sink")])],
            stagingRoot: "\(work)/staging", logger: logger)
        var result = Result(bundles: [], events: 0, files: [])
        for try await bundle in client.bundles(from: 0) {
            let file = try await client.download(bundle.id, to: "\(work)/\(bundle.id).bundle")
            let context = BundleContext(bundle, file: file)
            result.events += try await delivery.deliver(context).events
            result.bundles.append(bundle)
        }
        result.files = capture.files
        return result
    }
}

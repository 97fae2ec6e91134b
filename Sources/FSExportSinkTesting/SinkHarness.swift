import Foundation
import FSExportCore
import FSExportSimulatedData
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
/// Bundles are the simulator's (realistic, seeded events, gzip), made by a ``SampleSource`` on the
/// core alone, then decoded, delivered to the sink and committed as the engine does. The files
/// the sink publishes are captured in ``Result/files``.
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
        let dataset = SimulatedDataset(seed: seed, bundleCount: bundles, eventsPerBundle: eventsPerBundle, emptyBundles: emptyBundles)
        return try await TemporaryFolder("harness").withPath { work in try await run(SampleSource(dataset), work: work) }
    }

    private func run(_ source: SampleSource, work: String) async throws -> Result {
        let capture = CapturingSink()
        let delivery = BundleDelivery(
            stages: [Stage(name: "sink", sink: sink, inputs: [.source]), Stage(name: "capture", sink: capture, inputs: [.stage("sink")])],
            stagingRoot: try ConfinedRoot(work).folder(SpoolLayout.staging), logger: Logger(label: "fsexport.harness"))
        var result = Result(bundles: [], events: 0, files: [])
        for try await bundle in source.bundles(after: 0, until: nil) {
            let file = try await source.fetch(bundle, to: SpoolLayout.bundlePath(bundle.id, in: work), progress: nil)
            result.events += try await delivery.deliver(BundleContext(bundle, file: file)).events
            result.bundles.append(bundle)
        }
        result.files = capture.files
        return result
    }
}

import FSExportSimulatedData
import Foundation
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportSimulator
import Logging

/// Runs and checks pipeline files that use your own sinks, the way your binary would, so that a
/// sink package's tests need no more than `FSExportCore` and `FSExportTesting`:
///
/// ```swift
/// let summary = try await PipelineHarness.run("clicks.fsexport.yml", sinks: [CSVSink.self], bundles: 3)
/// #expect(summary.bundles.count == 3)
/// #expect(PipelineHarness.problems(in: "source: {start: 0}\nstages: …", sinks: [CSVSink.self]).isEmpty)
/// ```
public enum PipelineHarness {
    /// Runs the pipeline file at `path` once, with `sinks` registered beside the built-in ones,
    /// against an in-process simulator of `bundles` bundles (as `fsexport run --simulate` does):
    /// no API key, no network.
    public static func run(
        _ path: String, sinks: [any ConfigurableSink.Type] = [], bundles: Int = 3,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> RunSummary {
        let pipeline = try Pipeline.load(path: path, registry: registry(sinks), environment: environment)
        let configuration = SimulatorConfiguration(dataset: SimulatedDataset(bundleCount: bundles), rateLimit: nil)
        return try await ExportSimulator.withRunning(configuration) { simulator in
            let engine = try pipeline.makeEngine(
                overrides: .init(baseURL: simulator.baseURL, apiKey: try APIKey(simulator.configuration.apiKey)),
                logger: Logger(label: "fsexport.harness"))
            return try await engine.runOnce()
        }
    }

    /// Every problem `fsexport validate` would report for `text`, as `file:line:column: error: …`
    /// lines; empty for a valid pipeline.
    public static func problems(in text: String, sinks: [any ConfigurableSink.Type] = [], file: String = "pipeline.yml") -> [String] {
        do {
            _ = try Pipeline.load(
                text: text, file: file, baseDirectory: FileManager.default.temporaryDirectory.path, registry: registry(sinks),
                environment: ProcessInfo.processInfo.environment, mode: .validate)
            return []
        } catch let error as PipelineFileError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(file):1:1: error: \(error)"]
        }
    }

    private static func registry(_ sinks: [any ConfigurableSink.Type]) -> SinkRegistry {
        var registry = SinkRegistry.builtIn
        for sink in sinks { registry.register(any: sink) }
        return registry
    }
}

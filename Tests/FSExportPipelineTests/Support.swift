import FSExportSimulatedData
import Foundation
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportSimulator
import FSExportTestSupport
import Logging

let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// Runs a pipeline file once against `simulator`.
@discardableResult
func runPipeline(_ file: String, simulator: ExportSimulator, since: Int64? = nil, until: Int64? = nil) async throws -> RunSummary {
    let pipeline = try Pipeline.load(path: file, environment: [:])
    let engine = try pipeline.makeEngine(
        overrides: .init(baseURL: simulator.baseURL, apiKey: try APIKey(simulator.configuration.apiKey), until: until), logger: quietLogger)
    return try await engine.runOnce(since: since)
}

/// Runs a pipeline file once against a scripted server, with the pipeline's own key unless given one.
@discardableResult
func runPipeline(
    _ file: String, server: ScriptedServer, key: String? = "scripted-server-key", environment: [String: String] = [:], since: Int64? = nil, until: Int64? = nil,
    clocks: Clocks = .system
) async throws -> RunSummary {
    let pipeline = try Pipeline.load(path: file, environment: environment)
    let engine = try pipeline.makeEngine(
        overrides: .init(baseURL: server.baseURL, apiKey: try key.map { try APIKey($0) }, until: until, clocks: clocks), logger: quietLogger)
    return try await engine.runOnce(since: since)
}

extension SimulatorConfiguration {
    /// The pipeline tests' simulator: `bundles` bundles of `events` events, the third one empty, no rate limit.
    static func pipelineTests(bundles: Int = 4, events: Int = 300) -> SimulatorConfiguration {
        .unlimited(bundles: bundles, events: events, emptyBundles: [2])
    }
}


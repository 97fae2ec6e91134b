import FSExportSimulatedData
import FSExportSimulator

/// Starts a simulator, runs `body` against it, and always stops it: the one way the tests start an
/// in-process simulator. Without a configuration it serves the default dataset with no rate limit.
@discardableResult
public func withSimulator<T>(
    _ configuration: SimulatorConfiguration = SimulatorConfiguration(rateLimit: nil), _ body: (ExportSimulator) async throws -> T
) async throws -> T {
    try await ExportSimulator.withRunning(configuration, body)
}

extension SimulatorConfiguration {
    /// A simulator without a rate limit serving `bundles` bundles of `events` events each (those at
    /// `emptyBundles` empty), for `apiKey`, with `faults`.
    public static func unlimited(
        bundles: Int = 45, events: Int = 200, emptyBundles: Set<Int> = [], apiKey: String = "simulator-key", faults: [FaultRule] = []
    ) -> SimulatorConfiguration {
        SimulatorConfiguration(
            apiKey: apiKey, dataset: SimulatedDataset(bundleCount: bundles, eventsPerBundle: events, emptyBundles: emptyBundles), rateLimit: nil,
            faults: faults)
    }
}

import Foundation
import FSExportClient
import FSExportCore
import FSExportSimulator

/// Starts a simulator, runs `body` against it, and always shuts it down.
func withSimulator<T>(
    _ configuration: SimulatorConfiguration = SimulatorConfiguration(rateLimit: nil),
    _ body: (ExportSimulator) async throws -> T
) async throws -> T {
    try await ExportSimulator.withRunning(configuration, body)
}

/// A client for `simulator` with fast retries and no client-side limit unless asked.
func makeClient(
    _ simulator: ExportSimulator, key: String? = nil, method: RequestMethod = .get,
    rateLimit: RateLimit = .unlimited, retry: RetryPolicy = RetryPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(200), maxAttempts: 20),
    headers: [HTTPHeader] = [], clocks: Clocks = .system
) throws -> ExportClient {
    ExportClient(configuration: ExportClientConfiguration(
        apiKey: try APIKey(key ?? simulator.configuration.apiKey), baseURL: simulator.baseURL, method: method,
        extraHeaders: headers, rateLimit: rateLimit, retry: retry, clocks: clocks))
}


import Foundation
import FSExportClient
import FSExportCore
import FSExportSimulator
import FSExportTestSupport

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


import ArgumentParser
import Foundation
import FSExportClient
import FSExportCore
import FSExportSimulator
import Logging

/// Options every command that talks to the API shares.
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Base URL of the export API (default: FSEXPORT_BASE_URL, else https://export.fullstory.com).", valueName: "url"))
    var baseURL: String?

    @Option(
        help: ArgumentHelp(
            "Read the API key from this file instead of FULLSTORY_API_KEY.",
            discussion: "The key is never accepted as an argument, so that it cannot show up in `ps` or shell history.",
            valueName: "path"),
        completion: .file())
    var apiKeyFile: String?

    @Option(help: "Send parameters as URL query (get) or as a JSON body (post).")
    var method: RequestMethod = .get

    @Option(name: .customLong("header"), help: ArgumentHelp("Extra request header 'Name: value', for proxies. Repeatable.", valueName: "header"))
    var headers: [String] = []

    @Option(help: "Calls allowed in a burst before the client waits for the rate limit.")
    var rateLimitBurst = RateLimit.fullstory.burst

    @Option(help: "Calls a minute the rate limit refills.")
    var rateLimitPerMinute = RateLimit.fullstory.perMinute

    @Option(help: "Give up after this many attempts of one call (default: keep retrying transient failures).")
    var maxAttempts: Int?

    @Option(help: ArgumentHelp("Give up retrying one call after this long, e.g. 30m (default: no limit).", valueName: "duration"))
    var maxRetryTime: String?

    @Option(help: ArgumentHelp("Give up connecting after this long (default 30s).", valueName: "duration"))
    var connectTimeout: String?

    @Option(help: ArgumentHelp(
        "Abandon (and retry, resuming) a transfer that moves under 1 KiB/s for this long (default 2m).", valueName: "duration"))
    var stallTimeout: String?

    @Flag(help: "Run against a built-in simulator with generated data: no API key or network needed.")
    var simulate = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        try validateBaseURL(baseURL)
        _ = try effectiveBaseURL()
        if rateLimitBurst < 1 { throw ValidationError("--rate-limit-burst must be at least 1") }
        if !(rateLimitPerMinute > 0) { throw ValidationError("--rate-limit-per-minute must be above 0") }
        if let maxAttempts, maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        _ = try retryPolicy()
        _ = try timeouts()
        for header in headers {
            do { _ = try HTTPHeader(parsing: header) } catch { throw ValidationError("--header: \(error)") }
        }
    }

    var logger: Logger { logging.logger }

    /// --base-url, else FSEXPORT_BASE_URL (checked as strictly), else the API's.
    func effectiveBaseURL(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let baseURL { return baseURL }
        do {
            return try ExportClientConfiguration.baseURLFromEnvironment(environment) ?? ExportClientConfiguration.defaultBaseURL
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func timeouts() throws -> Timeouts {
        var timeouts = Timeouts()
        if let connect = try positiveDuration(connectTimeout, option: "--connect-timeout") { timeouts.connect = connect }
        if let stall = try positiveDuration(stallTimeout, option: "--stall-timeout") { timeouts.stallWindow = stall }
        return timeouts
    }

    private func positiveDuration(_ text: String?, option: String) throws -> Duration? {
        guard let text else { return nil }
        let value: Duration
        do { value = try DurationText.parse(text) } catch { throw ValidationError("\(option): \(error)") }
        guard value > .zero else { throw ValidationError("\(option) must be above 0") }
        return value
    }

    func retryPolicy() throws -> RetryPolicy {
        var policy = RetryPolicy(maxAttempts: maxAttempts)
        if let maxRetryTime {
            do { policy.maxElapsed = try DurationText.parse(maxRetryTime) } catch { throw ValidationError("--max-retry-time: \(error)") }
        }
        return policy
    }

    /// Builds the client; with `--simulate`, starts a simulator first and points the client at it.
    func withClient<T>(_ body: (ExportClient) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await withSimulator(if: simulate, logger: logger) { simulator in
            var configuration = try simulator.map { ExportClientConfiguration(apiKey: try APIKey($0.configuration.apiKey), baseURL: $0.baseURL) }
                ?? ExportClientConfiguration(apiKey: try APIKey.load(keyFile: apiKeyFile, warning: logger), baseURL: try effectiveBaseURL())
            configuration.method = method
            configuration.extraHeaders = try headers.map(HTTPHeader.init(parsing:))
            configuration.rateLimit = RateLimit(burst: rateLimitBurst, perMinute: rateLimitPerMinute)
            configuration.retry = try retryPolicy()
            configuration.timeouts = try timeouts()
            return try await body(ExportClient(configuration: configuration, logger: logger))
        }
    }
}

extension RequestMethod: ExpressibleByArgument {}



/// A base URL is checked before anything is printed or asked: a usage error, not a network one.
func validateBaseURL(_ text: String?) throws {
    guard let text else { return }
    guard ExportClientConfiguration.isBaseURL(text) else {
        throw ValidationError("--base-url must be an http(s) URL such as https://export.fullstory.com, not '\(text)'")
    }
}

/// Reads a time option, naming the option in the error.
func parseTime(_ text: String?, option: String, now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> Int64? {
    guard let text else { return nil }
    do { return try Timestamp.parse(text, now: now) } catch { throw ValidationError("\(option): \(error)") }
}

/// Checks a command's time window (each time readable, and in order) in its `validate()`, so that
/// a mistake shows that command's usage line, not the top level's.
func validateWindow(since: String?, option: String = "--since", until: String?) throws {
    try checkWindow(from: try parseTime(since, option: option), option: option, until: try parseTime(until, option: "--until"))
}

/// A window that can hold no bundle (its end before or at its start) is a usage error: run
/// quietly, it would look like a night with nothing to deliver.
func checkWindow(from start: Int64?, option startOption: String, until end: Int64?) throws {
    guard let start, let end, end <= start else { return }
    throw ValidationError(
        "--until \(Timestamp.iso8601(end)) is not after \(startOption) \(Timestamp.iso8601(start)): no bundle can be in that window")
}

extension Logger {
    /// For commands whose output is their answer: nothing but errors, which they report themselves.
    static let quiet = Logger(label: "fsexport") { _ in SwiftLogNoOpLogHandler() }
}

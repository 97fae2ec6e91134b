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

    @Flag(name: .shortAndLong, help: "Log every request, retry and decision.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Log only errors.")
    var quiet = false

    @Option(help: ArgumentHelp("Log lines as text (RFC 3339 times when not on a terminal) or json, one object a line. Default: FSEXPORT_LOG_FORMAT, else text.", valueName: "format"))
    var logFormat: FSExportLogHandler.Format?

    func validate() throws {
        if verbose && quiet { throw ValidationError("--verbose and --quiet cannot be used together") }
        _ = try makeLogger(verbose: verbose, quiet: quiet, format: logFormat)
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

    /// Checked by `validate()`, so that a bad FSEXPORT_LOG_* value is a usage error before any work.
    var logger: Logger {
        (try? makeLogger(verbose: verbose, quiet: quiet, format: logFormat)) ?? Logger(label: "fsexport") { _ in FSExportLogHandler() }
    }

    /// --base-url, else FSEXPORT_BASE_URL (checked as strictly), else the API's.
    func effectiveBaseURL(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let baseURL { return baseURL }
        guard let text = environment["FSEXPORT_BASE_URL"], !text.isEmpty else { return ExportClientConfiguration.defaultBaseURL }
        do { try validateBaseURL(text) } catch { throw ValidationError("FSEXPORT_BASE_URL must be an http(s) URL, not '\(text)'") }
        return text
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

/// The command line's logger: `-v`/`-q` over `FSEXPORT_LOG_LEVEL`, `--log-format` over
/// `FSEXPORT_LOG_FORMAT`; a bad value in the environment is a usage error.
func makeLogger(
    verbose: Bool, quiet: Bool, format: FSExportLogHandler.Format? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
) throws -> Logger {
    var level: Logger.Level = verbose ? .debug : quiet ? .error : .info
    if !verbose, !quiet, let text = environment["FSEXPORT_LOG_LEVEL"], !text.isEmpty {
        guard let parsed = Logger.Level(rawValue: text.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue)
            throw ValidationError("FSEXPORT_LOG_LEVEL must be one of \(names.joined(separator: ", ")), not '\(text)'")
        }
        level = parsed
    }
    var chosen = format ?? .text
    if format == nil, let text = environment["FSEXPORT_LOG_FORMAT"], !text.isEmpty {
        guard let parsed = FSExportLogHandler.Format(rawValue: text.lowercased()) else {
            throw ValidationError("FSEXPORT_LOG_FORMAT must be text or json, not '\(text)'")
        }
        chosen = parsed
    }
    return Logger(label: "fsexport") { _ in FSExportLogHandler(format: chosen, logLevel: level) }
}

extension FSExportLogHandler.Format: ExpressibleByArgument {}

/// A base URL is checked before anything is printed or asked: a usage error, not a network one.
func validateBaseURL(_ text: String?) throws {
    guard let text else { return }
    guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false,
        url.query == nil, url.fragment == nil
    else {
        throw ValidationError("--base-url must be an http(s) URL such as https://export.fullstory.com, not '\(text)'")
    }
}

/// Reads a time option, naming the option in the error.
func parseTime(_ text: String?, option: String, now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> Int64? {
    guard let text else { return nil }
    do { return try Timestamp.parse(text, now: now) } catch { throw ValidationError("\(option): \(error)") }
}

extension Logger {
    /// For commands whose output is their answer: nothing but errors, which they report themselves.
    static let quiet = Logger(label: "fsexport") { _ in SwiftLogNoOpLogHandler() }
}

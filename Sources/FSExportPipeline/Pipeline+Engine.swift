import Foundation
import FSExportArchive
import FSExportClient
import FSExportCore
import Logging

extension Pipeline {
    /// What the command line may override in a pipeline's source.
    public struct Overrides: Sendable {
        public var baseURL: String?
        public var apiKey: APIKey?
        public var since: Int64?
        public var until: Int64?
        /// The clocks the engine, the client and the state file read (a test's, to run time forward).
        public var clocks: Clocks

        public init(baseURL: String? = nil, apiKey: APIKey? = nil, since: Int64? = nil, until: Int64? = nil, clocks: Clocks = .system) {
            self.clocks = clocks
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.since = since
            self.until = until
        }
    }

    /// The client settings the `source` section describes.
    public func clientConfiguration(
        overrides: Overrides = Overrides(), environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger? = nil
    ) throws -> ExportClientConfiguration {
        let key: APIKey
        if let override = overrides.apiKey {
            key = override
        } else if let text = source.apiKey, !text.isEmpty {
            key = try APIKey(text)
        } else {
            key = try APIKey.load(keyFile: source.apiKeyFile.map(resolve), environment: environment, warning: logger)
        }
        let defaultBaseURL = source.type == "segments" ? SegmentExportSettings.defaultBaseURL : ExportClientConfiguration.defaultBaseURL
        // The command line's --base-url, then FSEXPORT_BASE_URL (point every pipeline at a proxy or
        // a simulator without editing them), then the file's base_url.
        let fromEnvironment = try ExportClientConfiguration.baseURLFromEnvironment(environment)
        var configuration = ExportClientConfiguration(apiKey: key, baseURL: overrides.baseURL ?? fromEnvironment ?? source.baseURL ?? defaultBaseURL)
        configuration.clocks = overrides.clocks
        if let method = source.method {
            guard let parsed = RequestMethod(rawValue: method.lowercased()) else {
                throw ExportError.configuration("source.method must be get or post, not '\(method)'")
            }
            configuration.method = parsed
        }
        configuration.extraHeaders = try (source.headers ?? [:]).sorted { $0.key < $1.key }.map { try HTTPHeader(name: $0.key, value: $0.value) }
        // The legacy API's limit is documented and kept to; the Segment Export API publishes none,
        // so a segments source calls at its poll interval and obeys 429 and Retry-After.
        let defaults = source.type == "segments" ? RateLimit.unlimited : RateLimit.fullstory
        configuration.rateLimit = defaults
        if let limits = source.rateLimit {
            configuration.rateLimit = RateLimit(burst: limits.burst ?? defaults.burst, perMinute: limits.perMinute ?? defaults.perMinute)
        }
        if let retry = source.retry {
            configuration.retry.maxAttempts = retry.maxAttempts
            configuration.retry.maxElapsed = try retry.maxTime.map { try DurationText.parse($0) }
            if let ceiling = retry.maxRetryAfter { configuration.retry.maxRetryAfter = try DurationText.parse(ceiling) }
        }
        if let timeouts = source.timeouts {
            if let connect = timeouts.connect { configuration.timeouts.connect = try DurationText.parse(connect) }
            if let stall = timeouts.stall { configuration.timeouts.stallWindow = try DurationText.parse(stall) }
            if let speed = timeouts.minSpeed {
                configuration.timeouts.stallBytesPerSecond = try ByteSizeText.parse(speed.hasSuffix("/s") ? String(speed.dropLast(2)) : speed)
            }
        }
        return configuration
    }

    /// The engine settings the pipeline describes.
    public func engineConfiguration(overrides: Overrides = Overrides()) throws -> Engine.Configuration {
        let now = overrides.clocks.wall()
        let start = try source.start.map { try Timestamp.parse($0, now: now) } ?? 0
        let until = try overrides.until ?? source.until.map { try Timestamp.parse($0, now: now) }
        let settle = try DurationText.parse(source.settle ?? "24h")
        var configuration = Engine.Configuration(
            stages: stages, spoolDirectory: spoolPath, statePath: statePath, start: start, until: until, settle: settle)
        configuration.clocks = overrides.clocks
        configuration.pipelineName = stateName
        configuration.stateOwner = stateOwner
        configuration.legacyStatePath = try adoptedLegacyState()
        if let size = source.maxEventSize { configuration.maximumEventSize = try ByteSizeText.parse(size) }
        return configuration
    }

    public func makeEngine(
        overrides: Overrides = Overrides(), logger: Logger,
        progress: (@Sendable (RunProgress) -> Void)? = nil
    ) throws -> Engine {
        var configuration = try engineConfiguration(overrides: overrides)
        configuration.progress = progress
        // Every line of the run, the source's included, says which pipeline it is about.
        var logger = logger
        logger[metadataKey: "pipeline"] = "\(stateName)"
        return Engine(source: try makeSource(overrides: overrides, logger: logger), configuration: configuration, logger: logger)
    }

    /// The source the `source` section names: the export API, a directory of bundle files, or
    /// the Segment Export API.
    public func makeSource(overrides: Overrides = Overrides(), logger: Logger) throws -> any BundleSource {
        switch source.type {
        case "directory":
            return try DirectorySource(root: resolve(source.path ?? "."), pattern: source.pattern)
        case "segments":
            return try SegmentExportSource(
                settings: try SegmentSourceSettings.make(source), configuration: try clientConfiguration(overrides: overrides, logger: logger), logger: logger)
        default:
            return ExportClient(configuration: try clientConfiguration(overrides: overrides, logger: logger), logger: logger)
        }
    }

    /// The state file, read as this pipeline's source reads it, without building the source (no
    /// key needed): for `status --offline` and `reset`.
    public func checkpointStore() throws -> CheckpointStore {
        let scope = source.type == "segments" ? try SegmentSourceSettings.make(source).checkpointScope : BundleSourceScope.exportBundles
        return CheckpointStore(path: statePath, scope: scope, owner: stateOwner, legacyPath: try adoptedLegacyState())
    }

    func resolve(_ path: String) -> String {
        SinkContext.resolve(path, against: baseDirectory)
    }
}

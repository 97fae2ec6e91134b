import ArgumentParser
import FSExportClient
import FSExportCore
import FSExportPipeline
import Logging

/// What `run`, `status` and `reset` share: the pipeline file, and what may replace its source's
/// address and key; so that a preview and the real thing build the same engine.
struct PipelineOptions: ParsableArguments {
    @Argument(help: "The pipeline file (YAML or JSON).", completion: .file(extensions: ["yml", "yaml", "json"]))
    var file: String

    @Flag(help: "Run against a built-in simulator instead of the pipeline's source (no API key needed).")
    var simulate = false

    @Option(help: ArgumentHelp("Use this base URL instead of the pipeline's base_url.", valueName: "url"))
    var baseURL: String?

    @Option(help: ArgumentHelp(
        "Read the API key from this file instead of the pipeline's api_key, api_key_file or FULLSTORY_API_KEY.", valueName: "path"),
        completion: .file())
    var apiKeyFile: String?

    func validate() throws {
        try validateBaseURL(baseURL)
        if simulate, baseURL != nil || apiKeyFile != nil { throw ValidationError("--simulate brings its own base URL and key: drop --base-url and --api-key-file") }
    }

    /// The pipeline's state file, without its source (no key, no network).
    func checkpointStore() throws -> CheckpointStore {
        try Pipeline.load(path: file, registry: CommandEnvironment.sinks).checkpointStore()
    }

    /// Loads the pipeline and builds its engine (against a simulator with --simulate), for `body`.
    func withEngine<T>(
        overrides: Pipeline.Overrides = Pipeline.Overrides(), logger: Logger, progress: (@Sendable (RunProgress) -> Void)? = nil,
        _ body: (Engine) async throws -> T
    ) async throws -> T {
        var overrides = overrides
        overrides.baseURL = baseURL
        if let apiKeyFile { overrides.apiKey = try APIKey.load(keyFile: apiKeyFile, warning: logger) }
        let pipeline = try Pipeline.load(path: file, registry: CommandEnvironment.sinks)
        for warning in pipeline.warnings { logger.warning("\(warning)") }
        return try await withSimulator(if: simulate, logger: logger, overriding: overrides) { overrides in
            try await body(try pipeline.makeEngine(overrides: overrides, logger: logger, progress: progress))
        }
    }
}

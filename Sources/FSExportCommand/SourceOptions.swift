import ArgumentParser
import Foundation
import FSExportCore
import FSExportPipeline

/// `--from PIPELINE`: read bundles from a pipeline file's source (the export API with that file's
/// settings, or a directory of bundle files) instead of the API options on the command line.
struct SourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Read bundles from this pipeline file's source (the export API as it configures it, a directory of bundle files, or segment exports), from its start to its until unless given.",
        valueName: "pipeline"),
        completion: .file(extensions: ["yml", "yaml", "json"]))
    var from: String?

    /// The source to read: the pipeline's with `--from`, else the API as the global options say;
    /// and the pipeline's `start` and `until`, which stand in for options not given.
    func withSource<T>(_ global: GlobalOptions, _ body: (any BundleSource, PipelineTimes) async throws -> T) async throws -> T {
        guard let from else { return try await global.withClient { try await body($0, PipelineTimes()) } }
        let pipeline = try Pipeline.load(path: from, registry: CommandEnvironment.sinks)
        return try await withSimulator(if: global.simulate, logger: global.logger, overriding: Pipeline.Overrides()) { overrides in
            let configuration = try pipeline.engineConfiguration()
            return try await body(
                try pipeline.makeSource(overrides: overrides, logger: global.logger),
                PipelineTimes(start: configuration.start, until: configuration.until))
        }
    }
}

/// A pipeline's `start` and `until`, for `--from` (none without it).
struct PipelineTimes {
    var start: Int64?
    var until: Int64?
}

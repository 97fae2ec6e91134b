
/// A sink that a pipeline file can name by ``type`` and configure with its ``Options``.
///
/// ```swift
/// struct CSVSink: ConfigurableSink {
///     static let type = "csv"
///     struct Options: Decodable, Sendable { var path: String; var columns: [String] }
///     let options: Options
///     init(options: Options, context: SinkContext) throws { self.options = options }
///     func deliver(_ delivery: Delivery) async throws -> Commit { … }
/// }
/// ```
/// Unknown keys, wrong types and missing options are reported with the pipeline file's line and
/// column, like those of the built-in sinks.
public protocol ConfigurableSink: Sink {
    associatedtype Options: Decodable & Sendable
    /// The name pipeline files use in `type:`.
    static var type: String { get }
    /// Builds the sink; throw ``SinkError`` for options that make no sense together.
    init(options: Options, context: SinkContext) throws
}

/// What a sink may need to know about its place in the pipeline when it is built.
public struct SinkContext: Sendable {
    /// The stage's name.
    public var stage: String
    /// Where relative paths in options are resolved: the pipeline file's folder.
    public var baseDirectory: String
    /// True when the stage reads from the source; false when only from other stages.
    public var readsSource: Bool
    /// True when other stages read this stage's files.
    public var hasDownstream: Bool

    public init(stage: String, baseDirectory: String, readsSource: Bool, hasDownstream: Bool) {
        self.stage = stage
        self.baseDirectory = baseDirectory
        self.readsSource = readsSource
        self.hasDownstream = hasDownstream
    }

    /// `path` made absolute against ``baseDirectory``.
    public func resolve(_ path: String) -> String {
        Self.resolve(path, against: baseDirectory)
    }

    /// `path` made absolute against `directory` (the pipeline file's folder, for every relative path in it).
    public static func resolve(_ path: String, against directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : "\(directory)/\(path)"
        // `.` components say nothing and read oddly in messages and dry runs (`/srv/./raw`); `..`
        // stays as written: collapsing it by text could name another folder than a link leads to.
        let components = joined.split(separator: "/", omittingEmptySubsequences: false).enumerated()
            .filter { index, component in index == 0 || (component != "." && !component.isEmpty) }.map(\.element)
        let cleaned = components.joined(separator: "/")
        return cleaned.isEmpty ? "/" : cleaned
    }
}

/// A sink that can say, before anything runs, what it would write for a bundle (for `--dry-run`),
/// with the same naming code its `deliver` uses, so that the preview cannot drift from the run.
public protocol PlansOutput {
    /// The names (or, for stages that write to disk, the paths) of what this stage would produce,
    /// given the names of the files it would receive (`inputs`: the bundle file, or upstream
    /// stages' planned names; empty when it reads events). A part that depends on data not yet
    /// decoded stays a placeholder: `events/{value}/170406720048-{part}.ndjson.gz`.
    func plannedOutputs(for bundle: ExportBundle, inputs: [String]) -> [String]
}

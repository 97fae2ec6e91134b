/// Where bundles come from: the legacy export API (`ExportClient` conforms), and any other way in
/// (an archive on disk, another API) behind the same engine, sinks, state file and guarantees.
///
/// A source lists bundles in order and fetches each to a local file; the engine does the rest
/// (resuming after the state file, skipping what was delivered, settle and until, decoding,
/// delivering, committing, recording).
///
/// ```swift
/// struct OneFile: BundleSource {
///     let bundle: ExportBundle, path: String
///     func bundles(after start: Int64, until: Int64?) -> any AsyncSequence<ExportBundle, any Error> {
///         [bundle].filter { $0.stop > start && $0.stop <= (until ?? .max) }.async
///     }
///     func fetch(_ bundle: ExportBundle, to destination: String, progress: (@Sendable (TransferProgress) -> Void)?) async throws -> DownloadedBundle {
///         try FileManager.default.copyItem(atPath: path, toPath: destination)
///         return DownloadedBundle(id: bundle.id, path: destination, encoding: .gzip, byteCount: try FileSize.of(destination))
///     }
/// }
/// ```
public protocol BundleSource: Sendable {
    /// The bundles whose Stop is after `start` (and, when given, not after `until`), in (Stop, id)
    /// order, each once. A source that cannot keep to that order fails the listing rather than
    /// hand out a bundle twice.
    func bundles(after start: Int64, until: Int64?) -> any AsyncSequence<ExportBundle, any Error>

    /// Fetches `bundle` to a verified local file at `destination` (atomically: a file there is
    /// whole), reporting progress as it goes.
    func fetch(_ bundle: ExportBundle, to destination: String, progress: (@Sendable (TransferProgress) -> Void)?) async throws -> DownloadedBundle

    /// What the ids in the state file count, saved in it: a state file written by a source of
    /// another scope is refused rather than misread. Sources whose ids are Data Export bundle ids
    /// (the API, an archive of its bundles) share ``BundleSourceScope/exportBundles``, the default,
    /// so that a pipeline can move between them; a source of other units names them, with
    /// whatever changes their meaning (a segment export's scope includes its window size).
    var checkpointScope: String { get }

    /// The name the fetched file will have, before it is fetched (for `--dry-run`).
    func plannedFileName(for bundle: ExportBundle) -> String

    /// Where a fetch to `destination` writes the gzip bytes of a file of events in the order they
    /// arrive, resumed in place after a break, so that a reader that commits nothing
    /// (`fsexport events`) can decode while the fetch goes on; nil when the source writes no such
    /// file, or a file without events (a CSV export).
    func arrivingFile(for destination: String) -> ArrivingFile?

    /// How a run's summary says the bundles' bytes came: `downloaded` (the default), `read`.
    var fetchVerb: String { get }
}

extension BundleSource {
    public var checkpointScope: String { BundleSourceScope.exportBundles }

    /// The name the fetched file will have for the stages, before it is fetched (for `--dry-run`);
    /// by default a gzip bundle's, `ID.json.gz`.
    public func plannedFileName(for bundle: ExportBundle) -> String { "\(bundle.id).json.gz" }

    public func arrivingFile(for destination: String) -> ArrivingFile? { nil }

    public var fetchVerb: String { "downloaded" }
}

/// A file a fetch writes as its bytes arrive (``BundleSource/arrivingFile(for:)``).
public struct ArrivingFile: Sendable, Equatable {
    /// Written in the order the bytes arrive, resumed in place after a break.
    public var path: String
    /// One event a line, rather than a JSON array of events.
    public var ndjson: Bool

    public init(path: String, ndjson: Bool = false) {
        self.path = path
        self.ndjson = ndjson
    }
}

/// Well-known checkpoint scopes.
public enum BundleSourceScope {
    /// Data Export bundles, by their ids.
    public static let exportBundles = "export bundles"
}

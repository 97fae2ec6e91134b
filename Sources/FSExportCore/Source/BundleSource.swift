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

    /// How a run's summary says the bundles' bytes came: `downloaded` (the default), `read`.
    var fetchVerb: String { get }
}

extension BundleSource {
    public var checkpointScope: String { BundleSourceScope.exportBundles }

    public var fetchVerb: String { "downloaded" }
}

/// Well-known checkpoint scopes.
public enum BundleSourceScope {
    /// Data Export bundles, by their ids.
    public static let exportBundles = "export bundles"
}

/// What a source may tell about a fetched file before it is whole, for the command line: its name
/// before the fetch (`run --dry-run` shows the files stages would write), and a file readable
/// while its bytes arrive (`fsexport events` decodes as the download goes on). The API client and
/// the segment export source adopt it; any other source is previewed as a gzip bundle
/// (``ExportBundle/deliveredFileName``) and read once fetched.
public protocol FetchPreview: BundleSource {
    /// The name the fetched file will have for the stages, before it is fetched.
    func plannedFileName(for bundle: ExportBundle) -> String

    /// Where a fetch to `destination` writes the gzip bytes of a file of events in the order they
    /// arrive, resumed in place after a break, so that a reader that commits nothing can decode
    /// while the fetch goes on; nil when the source writes no such file, or a file without events
    /// (a CSV export).
    func arrivingFile(for destination: String) -> ArrivingFile?

    /// Fetches as ``BundleSource/fetch(_:to:progress:)`` does, for a reader that decodes the
    /// arriving file and checks its gzip stream itself (CRC-32 and length, as ``BundleDecoder``
    /// does): the fetch may leave that check to the reader, rather than inflate every byte a
    /// second time, and call the file whole once the transfer is (see ``ReaderCheckedFetch``). By
    /// default, `fetch`.
    func fetchForCheckingReader(_ bundle: ExportBundle, to destination: String) async throws -> ReaderCheckedFetch
}

extension FetchPreview {
    public func plannedFileName(for bundle: ExportBundle) -> String { bundle.deliveredFileName }

    public func fetchForCheckingReader(_ bundle: ExportBundle, to destination: String) async throws -> ReaderCheckedFetch {
        (try await fetch(bundle, to: destination, progress: nil), true)
    }
}

/// A file fetched for a reader that checks its gzip stream itself
/// (``FetchPreview/fetchForCheckingReader(_:to:)``), and whether the fetch checked the stream all
/// the same. A file not verified is no bundle to hand on: a reader that finds it damaged before
/// using any of it fetches again with ``BundleSource/fetch(_:to:progress:)``.
public typealias ReaderCheckedFetch = (file: DownloadedBundle, verified: Bool)

extension ExportBundle {
    /// `ID.json.gz`: the bundle's file as the export API delivers it.
    public var deliveredFileName: String { "\(id).json.gz" }
}

/// A file a fetch writes as its bytes arrive (``FetchPreview/arrivingFile(for:)``).
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

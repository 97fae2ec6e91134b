import FSExportCore

/// The legacy export API as a source of bundles: LIST paged by Stop, GET to a verified spool file.
extension ExportClient: BundleSource {
    public func bundles(after start: Int64, until: Int64?) -> any AsyncSequence<ExportBundle, any Error> {
        bundles(from: start, until: until)
    }

    public func fetch(_ bundle: ExportBundle, to destination: String, progress: (@Sendable (TransferProgress) -> Void)?) async throws -> DownloadedBundle {
        try await download(bundle.id, to: destination, progress: progress)
    }

}

extension ExportClient: FetchPreview {
    /// GET writes the body to `destination.part` as it arrives, resumed in place after a break.
    public func arrivingFile(for destination: String) -> ArrivingFile? { ArrivingFile(path: SpoolLayout.partPath(for: destination)) }

    /// GET, complete once the transfer is (Content-Length or the last chunk received), its gzip
    /// stream left to the reader. The segment source keeps the default: fetching again there means
    /// a new export.
    public func fetchForCheckingReader(_ bundle: ExportBundle, to destination: String) async throws -> ReaderCheckedFetch {
        (try await download(bundle.id, to: destination, checking: .transfer), false)
    }
}

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
}

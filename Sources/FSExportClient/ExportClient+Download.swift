import FSExportCore
import FSExportHTTP

extension ExportClient {
    /// Downloads bundle `id` to `destination`, atomically: the bytes go to `destination.part`, and
    /// only a verified, complete bundle is renamed into place. A broken-off transfer resumes with an
    /// HTTP Range request where the server honours one; a corrupt one starts over.
    ///
    /// Memory use does not depend on the bundle's size.
    public func download(
        _ id: Int64, to destination: String, sync: Bool = false,
        progress: (@Sendable (TransferProgress) -> Void)? = nil
    ) async throws -> DownloadedBundle {
        try await download(id, to: destination, sync: sync, progress: progress, checking: .gzipStream)
    }

    /// The same, the body checked to `checking`'s depth.
    func download(
        _ id: Int64, to destination: String, sync: Bool = false, progress: (@Sendable (TransferProgress) -> Void)? = nil,
        checking: BundleVerifier.Depth
    ) async throws -> DownloadedBundle {
        let download = SpoolDownload(
            id: id, destination: destination, retrying: configuration.retrying(bucket, logger: logger),
            operation: "GET id=\(id)", sync: sync, checking: checking, progress: progress,
            request: { offset in self.makeRequest(path: "/api/v1/export/get", parameter: ("id", id), resumeFrom: offset) },
            failure: { status, headers, body, url in
                ResponseClassification.failure(status: status, headers: headers, body: body, call: .get(id: id), url: url, now: self.configuration.clocks.wall())
            })
        let (encoding, byteCount) = try await download.run()
        return DownloadedBundle(id: id, path: destination, encoding: encoding, byteCount: byteCount)
    }
}

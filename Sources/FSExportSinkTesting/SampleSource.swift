import FSExportCore
import FSExportSimulatedData

/// A ``BundleSource`` that makes a ``SimulatedDataset``'s bundles on the spot, as the simulator
/// serves them (the same seeded, export-shaped events, gzip), with no server, network or client:
/// what a sink's tests need, on the core alone.
public struct SampleSource: BundleSource {
    public let dataset: SimulatedDataset

    public init(_ dataset: SimulatedDataset) {
        self.dataset = dataset
    }

    public func bundles(after start: Int64, until: Int64?) -> any AsyncSequence<ExportBundle, any Error> {
        let listed = dataset.bundles
            .filter { $0.stop > start && $0.stop <= (until ?? .max) }
            .map { ExportBundle(id: $0.id, start: $0.start, stop: $0.stop) }
        return AsyncThrowingStream { continuation in
            for bundle in listed { continuation.yield(bundle) }
            continuation.finish()
        }
    }

    public func fetch(_ bundle: ExportBundle, to destination: String, progress: (@Sendable (TransferProgress) -> Void)?) async throws -> DownloadedBundle {
        guard let sample = dataset.bundle(id: bundle.id) else { throw SinkError("bundle \(bundle.id) is not one of this dataset's") }
        let size = try dataset.writeBody(of: sample, to: destination, gzipLevel: 1)
        return DownloadedBundle(id: bundle.id, path: destination, encoding: .gzip, byteCount: size)
    }
}

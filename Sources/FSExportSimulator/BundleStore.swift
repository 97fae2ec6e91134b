import FSExportSimulatedData
import Foundation

/// Generates each bundle's body once, on first request, into a file of the simulator's cache
/// folder, so that it can be served with a Content-Length and byte ranges, however large.
actor BundleStore {
    struct StoredBody: Sendable {
        var path: String
        var size: Int64
    }

    private let directory: String
    private let ownsDirectory: Bool
    private let dataset: SimulatedDataset
    private let gzipLevel: Int32
    private let plainJSON: Bool
    private var bodies: [String: Task<StoredBody, any Error>] = [:]
    private var seed: UInt64 { dataset.seed }

    init(configuration: SimulatorConfiguration) throws {
        if let directory = configuration.cacheDirectory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            self.directory = directory
            ownsDirectory = false
        } else {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("fsexport-simulator-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            ownsDirectory = true
        }
        dataset = configuration.dataset
        gzipLevel = configuration.gzipLevel
        plainJSON = configuration.servePlainJSON
    }

    func body(for bundle: SimulatedDataset.Bundle) async throws -> StoredBody {
        // Everything the body depends on: a cache folder shared by simulators of other datasets
        // (the same bundle id with another number of events) must not serve one for the other.
        let name = "\(bundle.id)-\(bundle.stop)-\(bundle.eventCount)-\(seed)-\(gzipLevel)" + (plainJSON ? ".json" : ".json.gz")
        let path = "\(directory)/\(name)"
        return try await stored(named: name) { [dataset, plainJSON, gzipLevel] in
            StoredBody(path: path, size: try dataset.writeBody(of: bundle, to: path, gzipLevel: plainJSON ? nil : gzipLevel))
        }
    }

    /// A segment export's file: always gzip, as the storage host serves it.
    func body(forExport job: SegmentExportJob) async throws -> StoredBody {
        let name = "export-\(job.exportID)-\(seed)-\(gzipLevel).\(job.request.format.fileExtension)"
        let path = "\(directory)/\(name)"
        return try await stored(named: name) { [dataset, gzipLevel] in
            let size = try SimulatedDataset.write(to: path, gzipLevel: gzipLevel) { emit in
                try SegmentExportWriter.write(job.request, dataset: dataset, into: emit)
            }
            return StoredBody(path: path, size: size)
        }
    }

    /// Made once, off the actor, however many ask at the same time.
    private func stored(named name: String, make: @escaping @Sendable () throws -> StoredBody) async throws -> StoredBody {
        if let existing = bodies[name] { return try await existing.value }
        let task = Task.detached(priority: .utility) { try make() }
        bodies[name] = task
        return try await task.value
    }

    func removeAll() {
        guard ownsDirectory else { return }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

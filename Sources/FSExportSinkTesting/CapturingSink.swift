import FSExportCore
import Foundation
import Synchronization

/// A sink that keeps, in memory, every file it receives: put it after a stage to see what that
/// stage produced.
public final class CapturingSink: Sink {
    /// One file a stage published: for which bundle, under which name, with which bytes.
    public struct File: Sendable, Equatable {
        public var bundleID: Int64
        /// The artifact's relative name, e.g. `click/part-0001.ndjson`.
        public var name: String
        public var contents: Data

        /// The contents as UTF-8 text.
        public var text: String { String(decoding: contents, as: UTF8.self) }
    }

    private let captured = Mutex<[File]>([])

    public init() {}

    public var reads: SinkReads { .files }

    /// Everything received so far, in order.
    public var files: [File] { captured.withLock { $0 } }

    public func deliver(_ delivery: Delivery) async throws -> Commit {
        var received: [File] = []
        for try await file in delivery.input.files {
            received.append(File(bundleID: delivery.bundle.id, name: file.name, contents: try Data(contentsOf: URL(fileURLWithPath: file.path))))
        }
        let ready = received
        return Commit(commit: { self.captured.withLock { $0 += ready } }, abort: {})
    }
}
